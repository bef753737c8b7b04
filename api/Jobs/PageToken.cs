using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace JobQueue.Api.Jobs;

/// <summary>
/// The opaque <c>page_token</c> of job lists: base64url of <c>v1:&lt;last id&gt;</c>. Clients must
/// not build tokens; the version prefix lets the format change without misreading old tokens.
/// </summary>
public static class PageToken
{
    private const string Prefix = "v1:";

    public static string Encode(long lastId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Prefix + lastId.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Reads the id to continue below; false for anything <see cref="Encode"/> did not produce.</summary>
    public static bool TryDecode(string token, out long lastId)
    {
        lastId = 0;
        if (token.Length is 0 or > 64 || !Base64Url.IsValid(token))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        return text.StartsWith(Prefix, StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out lastId)
            && lastId > 0;
    }
}
