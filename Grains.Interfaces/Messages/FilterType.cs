namespace OrleansMq.Grains.Messages;

/// <summary>Kind of subscription filter.</summary>
[GenerateSerializer, Alias("OrleansMq.FilterType")]
public enum FilterType
{
    /// <summary>Tag expression: <c>*</c> or <c>TagA || TagB</c>.</summary>
    Tag = 0,

    /// <summary>SQL92 expression over user properties.</summary>
    Sql92 = 1,
}
