using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Storage;

public sealed class IdempotencyStoreTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private IdempotencyStore Store => new(database.DataSource);

    private static IdempotencyKey NewKey(byte fingerprint = 1) =>
        new("POST /test", Guid.NewGuid().ToString("N"), [fingerprint, 2, 3]);

    [Fact]
    public async Task Claim_then_claim_again_reports_in_flight()
    {
        var key = NewKey();

        var first = await Store.ClaimAsync(key, Day, Minute, CancellationToken.None);
        var second = await Store.ClaimAsync(key, Day, Minute, CancellationToken.None);

        Assert.IsType<IdempotencyClaim.Acquired>(first);
        var held = Assert.IsType<IdempotencyClaim.Held>(second);
        Assert.Null(held.Response);
        Assert.Equal(key.Fingerprint, held.Fingerprint);
    }

    [Fact]
    public async Task Completed_key_returns_stored_response()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var key = NewKey();
        var claim = Assert.IsType<IdempotencyClaim.Acquired>(await Store.ClaimAsync(key, Day, Minute, CancellationToken.None));

        var result = await database.Jobs.EnqueueWithIdempotencyKeyAsync(
            [new NewJob(queue, "noop", "{}", 0, 1, null, [], null, null)], null, key, claim.Token,
            enqueued => new StoredResponse(201, "{\"id\":" + enqueued.Jobs[0].Id + "}", "/v1/jobs/" + enqueued.Jobs[0].Id),
            CancellationToken.None);
        var again = await Store.ClaimAsync(key, Day, Minute, CancellationToken.None);

        Assert.NotNull(result);
        var held = Assert.IsType<IdempotencyClaim.Held>(again);
        Assert.Equal(result.Value.Response, held.Response);
    }

    [Fact]
    public async Task Stale_owner_insert_is_rolled_back()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var key = NewKey();
        var old = Assert.IsType<IdempotencyClaim.Acquired>(await Store.ClaimAsync(key, Day, Minute, CancellationToken.None));
        await database.ExecuteAsync(
            "UPDATE jobqueue.idempotency_keys SET locked_at = now() - interval '2 minutes' WHERE key = $1", key.Key);
        var newer = await Store.ClaimAsync(key, Day, Minute, CancellationToken.None);

        var result = await database.Jobs.EnqueueWithIdempotencyKeyAsync(
            [new NewJob(queue, "noop", "{}", 0, 1, null, [], null, null)], null, key, old.Token,
            _ => new StoredResponse(201, "{}", null), CancellationToken.None);

        Assert.IsType<IdempotencyClaim.Acquired>(newer);
        Assert.Null(result);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE queue = $1", queue));
    }

    [Fact]
    public async Task Delete_expired_removes_only_expired_keys()
    {
        var expired = NewKey();
        var live = NewKey();
        await Store.ClaimAsync(expired, Day, Minute, CancellationToken.None);
        await Store.ClaimAsync(live, Day, Minute, CancellationToken.None);
        await database.ExecuteAsync(
            "UPDATE jobqueue.idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1", expired.Key);

        var deleted = await Store.DeleteExpiredAsync(1000, CancellationToken.None);

        Assert.True(deleted >= 1);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.idempotency_keys WHERE key = $1", expired.Key));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.idempotency_keys WHERE key = $1", live.Key));
    }
}
