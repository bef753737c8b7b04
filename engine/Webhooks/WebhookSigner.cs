using System.Security.Cryptography;
using System.Text;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Signs deliveries as the Standard Webhooks specification describes: an HMAC-SHA256 over
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>, sent as <c>v1,{base64}</c> in <c>webhook-signature</c>.
/// </summary>
public static class WebhookSigner
{
    public const string SecretPrefix = "whsec_";

    /// <summary>Creates a new secret of 32 random bytes, in the <c>whsec_</c> form.</summary>
    public static string CreateSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Decodes a <c>whsec_</c> secret into its key; false when it is malformed or too short or long.</summary>
    public static bool TryDecodeSecret(string? secret, out byte[] key)
    {
        key = [];
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var encoded = secret[SecretPrefix.Length..];
        var buffer = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, buffer, out var length) || length < 24 || length > 64)
        {
            return false;
        }

        key = buffer[..length];
        return true;
    }

    /// <summary>Returns the <c>webhook-signature</c> header value for one delivery.</summary>
    public static string Sign(byte[] key, string messageId, long timestamp, ReadOnlySpan<byte> body) =>
        Sign([key], messageId, timestamp, body);

    /// <summary>
    /// Returns the <c>webhook-signature</c> header value with one <c>v1,</c> signature per key,
    /// separated by spaces and in the order given, so that a receiver that has any one of the
    /// keys verifies the delivery while secrets are rotated.
    /// </summary>
    public static string Sign(IReadOnlyList<byte[]> keys, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{messageId}.{timestamp}."));
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));

        var signatures = new string[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            signatures[i] = "v1," + Convert.ToBase64String(HMACSHA256.HashData(keys[i], signed));
        }

        return string.Join(' ', signatures);
    }
}
