using System.Security.Cryptography;
using System.Text;
using JobQueue.Storage;

namespace JobQueue.Api.Access;

/// <summary>
/// The format of API keys: <c>jq_</c>, a 12-character public id, <c>_</c> and a 52-character
/// secret, both in lowercase base32 (<c>a-z</c>, <c>2-7</c>), so a key survives copying and
/// double-click selection. The secret carries 260 random bits; only its SHA-256 is stored.
/// </summary>
public static class ApiKeySecret
{
    public const int IdLength = 12;
    public const int SecretLength = 52;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private static readonly System.Buffers.SearchValues<char> AlphabetValues = System.Buffers.SearchValues.Create(Alphabet);

    /// <summary>Length of a whole key: prefix, id, separator and secret.</summary>
    public static int KeyLength => ApiKeyStore.ApiKeyPrefix.Length + IdLength + 1 + SecretLength;

    /// <summary>Creates a new random key; returns its id, the whole key to hand out, and the hash to store.</summary>
    public static (string Id, string Key, byte[] SecretSha256) Create()
    {
        var id = RandomNumberGenerator.GetString(Alphabet, IdLength);
        var secret = RandomNumberGenerator.GetString(Alphabet, SecretLength);
        return (id, $"{ApiKeyStore.ApiKeyPrefix}{id}_{secret}", Hash(secret));
    }

    /// <summary>Splits a presented key into its id and the SHA-256 of its secret; false when it is not in the key format.</summary>
    public static bool TryParse(ReadOnlySpan<char> key, out string id, out byte[] secretSha256)
    {
        id = "";
        secretSha256 = [];
        var prefix = ApiKeyStore.ApiKeyPrefix;
        if (key.Length != KeyLength || !key.StartsWith(prefix, StringComparison.Ordinal) || key[prefix.Length + IdLength] != '_')
        {
            return false;
        }

        var idPart = key.Slice(prefix.Length, IdLength);
        var secretPart = key[(prefix.Length + IdLength + 1)..];
        if (idPart.ContainsAnyExcept(AlphabetValues) || secretPart.ContainsAnyExcept(AlphabetValues))
        {
            return false;
        }

        id = idPart.ToString();
        secretSha256 = Hash(secretPart);
        return true;
    }

    /// <summary>Whether <paramref name="id"/> has the form of a key id, for route values.</summary>
    public static bool IsId(string id) => id.Length == IdLength && !id.AsSpan().ContainsAnyExcept(AlphabetValues);

    // A fast hash suffices because the secret is random: 260 bits cannot be guessed from the
    // hash, which a slow password hash only protects against for low-entropy secrets.
    private static byte[] Hash(ReadOnlySpan<char> secret)
    {
        Span<byte> bytes = stackalloc byte[SecretLength];
        var count = Encoding.ASCII.GetBytes(secret, bytes);
        return SHA256.HashData(bytes[..count]);
    }
}
