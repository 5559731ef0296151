namespace OrleansMq.Grains.Errors;

/// <summary>Base of the exceptions OrleansMq raises for misuse, misconfiguration and unavailable resources.</summary>
[GenerateSerializer, Alias("OrleansMq.OrleansMqException")]
public class OrleansMqException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OrleansMqException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public OrleansMqException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}
