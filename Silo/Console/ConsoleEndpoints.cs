using System.Text.Json;
using OrleansMq.Grains.Errors;

namespace OrleansMq.Silo.Console;

/// <summary>
/// Maps the MQ console: the page (<c>/console/</c>, static files embedded in this assembly) and its JSON API
/// (<c>/api/…</c>). Every API request wakes the <see cref="ConsoleSampler"/>.
/// </summary>
/// <remarks>
/// Security: the console, like the Orleans dashboard, has no authentication of its own — bind the HTTP port to a
/// private address or put an authenticating proxy in front (the returned group accepts <c>RequireAuthorization</c>).
/// Against cross-site requests, changes need a JSON body (a form post cannot send one without a CORS preflight, which
/// is never granted) and a same-origin <c>Origin</c> header when one is sent. The page itself renders user data with
/// <c>textContent</c> only, under a Content-Security-Policy that allows no inline script.
/// </remarks>
internal static partial class ConsoleEndpoints
{
    public const string PagePath = "/console";
    public const string ApiPath = "/api";

    public static RouteGroupBuilder MapConsole(this IEndpointRouteBuilder endpoints)
    {
        // Routing ignores a trailing slash, so one endpoint sees both /console and /console/; the page's relative
        // links need the slash.
        endpoints.MapGet(PagePath, (HttpContext context) => context.Request.Path.Value!.EndsWith('/')
            ? ConsoleAssets.Serve("index.html", context)
            : Results.Redirect(PagePath + "/"));
        endpoints.MapGet(PagePath + "/{file?}", (string? file, HttpContext context) => ConsoleAssets.Serve(file ?? "index.html", context));

        var api = endpoints.MapGroup(ApiPath);
        api.AddEndpointFilter(HandleAsync);
        api.MapGet("/cluster", (ConsoleApi c) => Task.FromResult(c.Cluster()));
        api.MapGet("/topics", (ConsoleApi c) => c.TopicsAsync());
        api.MapGet("/topic", (ConsoleApi c, string? name) => c.TopicAsync(name));
        api.MapPost("/topics", async (ConsoleApi c, HttpContext h) => await c.CreateTopicAsync(await ReadAsync<ConsoleApi.TopicRequest>(h)));
        api.MapPut("/topics", async (ConsoleApi c, HttpContext h) => await c.UpdateTopicAsync(await ReadAsync<ConsoleApi.TopicRequest>(h)));
        api.MapGet("/groups", (ConsoleApi c) => c.GroupsAsync());
        api.MapGet("/group", (ConsoleApi c, string? name) => c.GroupAsync(name));
        api.MapGet("/messages", (ConsoleApi c, HttpContext h) => c.MessagesAsync(h.Request.Query));
        api.MapGet("/dlq", (ConsoleApi c, string? group, string? max) => c.DeadLettersAsync(group, max));
        api.MapPost("/dlq/resend", async (ConsoleApi c, HttpContext h) => await c.ResendAsync(await ReadAsync<ConsoleApi.ResendRequest>(h)));
        api.MapFallback(() => Results.Json(new ApiError("No such API endpoint; see docs/operations.md."), statusCode: StatusCodes.Status404NotFound));
        return api;
    }

    private static async ValueTask<object?> HandleAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var services = http.RequestServices;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (!HttpMethods.IsGet(http.Request.Method) && !IsSameOrigin(http.Request))
        {
            return Results.Json(new ApiError("Cross-origin changes are refused."), statusCode: StatusCodes.Status403Forbidden);
        }

        if (services.GetRequiredService<ISiloStatusOracle>().CurrentStatus != SiloStatus.Active)
        {
            return Results.Json(new ApiError("The broker is not an active cluster member yet (or any more); try again shortly."), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        services.GetRequiredService<ConsoleSampler>().Touch();
        try
        {
            var result = await next(invocation);
            return result is IResult ? result : Results.Json(result);
        }
        catch (Exception e)
        {
            var (status, message) = Describe(e);
            if (status >= 500)
            {
                LogFailed(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleEndpoints).FullName!), http.Request.Path, e);
            }

            return Results.Json(new ApiError(message), statusCode: status);
        }
    }

    internal static (int Status, string Message) Describe(Exception e) => e switch
    {
        TopicNotFoundException => (StatusCodes.Status404NotFound, e.Message),
        TopicExistsException => (StatusCodes.Status409Conflict, e.Message),
        BrokerUnavailableException => (StatusCodes.Status503ServiceUnavailable, e.Message),
        InvalidRequestException or ArgumentException or JsonException or BadHttpRequestException => (StatusCodes.Status400BadRequest, e.Message),
        OrleansMqException => (StatusCodes.Status400BadRequest, e.Message),
        TimeoutException => (StatusCodes.Status504GatewayTimeout, "The cluster did not answer in time: " + e.Message),
        _ => (StatusCodes.Status500InternalServerError, $"Internal error ({e.GetType().Name}): {e.Message}"),
    };

    private static async Task<T> ReadAsync<T>(HttpContext http)
    {
        if (!http.Request.HasJsonContentType())
        {
            throw new BadHttpRequestException("Send the request body as JSON (Content-Type: application/json).");
        }

        return await http.Request.ReadFromJsonAsync<T>(http.RequestAborted)
            ?? throw new BadHttpRequestException("The request body is empty; send a JSON object.");
    }

    private static bool IsSameOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        return string.IsNullOrEmpty(origin)
            || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    [LoggerMessage(1, LogLevel.Warning, "Console API request {Path} failed")]
    private static partial void LogFailed(ILogger logger, string path, Exception exception);

    /// <summary>The body of every API error.</summary>
    internal sealed record ApiError(string Error);
}
