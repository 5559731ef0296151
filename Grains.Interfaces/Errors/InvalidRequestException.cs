namespace OrleansMq.Grains.Errors;

/// <summary>A request was refused because an argument is invalid; the message says what is wrong and what is allowed.</summary>
[GenerateSerializer, Alias("OrleansMq.InvalidRequestException")]
public sealed class InvalidRequestException : OrleansMqException
{
    /// <summary>Creates the exception.</summary>
    public InvalidRequestException(string message)
        : base(message)
    {
    }
}
