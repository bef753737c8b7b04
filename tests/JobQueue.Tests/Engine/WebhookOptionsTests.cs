using JobQueue.Engine.Options;
using JobQueue.Engine.Webhooks;

namespace JobQueue.Tests.Engine;

public sealed class WebhookOptionsTests
{
    private static WebhookOptions WithRoute(Action<WebhookRoute> change)
    {
        var route = new WebhookRoute { Kind = "email.send", Url = "https://mailer.example/jobs", Secret = WebhookSigner.CreateSecret() };
        change(route);
        return new WebhookOptions { Routes = [route] };
    }

    [Fact]
    public void Defaults_are_valid()
    {
        var options = WithRoute(_ => { });

        Assert.Null(options.Validate());
        var route = options.Routes[0];
        Assert.Equal(TimeSpan.FromSeconds(10), route.ConnectTimeout);
        Assert.Equal(route.Timeout, route.EffectiveResponseHeadersTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), route.BodyReadTimeout);
        Assert.Equal(5, route.CircuitFailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(30), route.CircuitOpenDuration);
    }

    [Theory]
    [InlineData("ConnectTimeout")]
    [InlineData("ResponseHeadersTimeout")]
    [InlineData("BodyReadTimeout")]
    [InlineData("CircuitOpenDuration")]
    public void Zero_duration_names_setting(string setting)
    {
        var options = WithRoute(route =>
        {
            switch (setting)
            {
                case "ConnectTimeout":
                    route.ConnectTimeout = TimeSpan.Zero;
                    break;
                case "ResponseHeadersTimeout":
                    route.ResponseHeadersTimeout = TimeSpan.Zero;
                    break;
                case "BodyReadTimeout":
                    route.BodyReadTimeout = TimeSpan.Zero;
                    break;
                default:
                    route.CircuitOpenDuration = TimeSpan.Zero;
                    break;
            }
        });

        Assert.StartsWith($"Webhooks:Routes:0:{setting} must be", options.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Duration_over_one_hour_is_rejected()
    {
        var options = WithRoute(route => route.BodyReadTimeout = TimeSpan.FromHours(2));

        Assert.StartsWith("Webhooks:Routes:0:BodyReadTimeout must be", options.Validate(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public void Circuit_threshold_out_of_range_is_rejected(int threshold)
    {
        var options = WithRoute(route => route.CircuitFailureThreshold = threshold);

        Assert.StartsWith("Webhooks:Routes:0:CircuitFailureThreshold must be", options.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_alone_are_enough()
    {
        var options = WithRoute(route =>
        {
            route.Secret = null;
            route.Secrets = [WebhookSigner.CreateSecret(), WebhookSigner.CreateSecret()];
        });

        Assert.Null(options.Validate());
        Assert.Equal(2, options.Routes[0].AllSecrets.Count());
    }

    [Fact]
    public void Missing_secret_is_rejected()
    {
        var options = WithRoute(route => route.Secret = null);

        Assert.StartsWith("Webhooks:Routes:0:Secret is missing", options.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_listed_secret_is_named_but_not_shown()
    {
        const string malformed = "whsec_c2hvcnQ=";
        var options = WithRoute(route => route.Secrets = [WebhookSigner.CreateSecret(), malformed]);

        var message = options.Validate();

        Assert.StartsWith("Webhooks:Routes:0:Secrets:1 must be", message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2hvcnQ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_secret_is_rejected()
    {
        var secret = WebhookSigner.CreateSecret();
        var options = WithRoute(route =>
        {
            route.Secret = secret;
            route.Secrets = [secret];
        });

        var message = options.Validate();

        Assert.StartsWith("Webhooks:Routes:0:Secrets repeats a secret", message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, message, StringComparison.Ordinal);
    }
}
