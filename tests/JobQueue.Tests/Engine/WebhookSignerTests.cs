using System.Text;
using JobQueue.Engine.Webhooks;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace JobQueue.Tests.Engine;

public sealed class WebhookSignerTests
{
    [Fact]
    public void Signature_verifies_with_independent_implementation()
    {
        var secret = WebhookSigner.CreateSecret();
        Assert.True(WebhookSigner.TryDecodeSecret(secret, out var key));
        const string body = """{"id":1,"args":{"name":"Zoë"}}""";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var signature = WebhookSigner.Sign(key, "job_1", timestamp, Encoding.UTF8.GetBytes(body));

        var headers = new HeaderDictionary
        {
            ["webhook-id"] = "job_1",
            ["webhook-timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-signature"] = signature,
        };
        new StandardWebhook(secret).Verify(body, headers);
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(secret).Verify(body + " ", headers));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("secret")]
    [InlineData("whsec_")]
    [InlineData("whsec_not-base64!")]
    [InlineData("whsec_c2hvcnQ=")]
    public void Malformed_secrets_are_rejected(string? secret)
    {
        Assert.False(WebhookSigner.TryDecodeSecret(secret, out _));
    }

    [Fact]
    public void Created_secret_has_32_random_bytes()
    {
        var first = WebhookSigner.CreateSecret();

        Assert.StartsWith("whsec_", first, StringComparison.Ordinal);
        Assert.True(WebhookSigner.TryDecodeSecret(first, out var key));
        Assert.Equal(32, key.Length);
        Assert.NotEqual(first, WebhookSigner.CreateSecret());
    }
}
