using JobQueue.Engine.Options;

namespace JobQueue.Tests.Engine;

public sealed class QueueSelectionTests
{
    [Fact]
    public void Two_pools_with_counts()
    {
        var pools = QueueSelection.Parse("mice:2;elephants:1");

        Assert.Equal(2, pools.Count);
        Assert.Equal(["mice"], pools[0].Queues.Queues);
        Assert.Equal(2, pools[0].Slots);
        Assert.Equal(["elephants"], pools[1].Queues.Queues);
        Assert.Equal(1, pools[1].Slots);
        Assert.True(pools[0].Matches("mice"));
        Assert.False(pools[0].Matches("elephants"));
    }

    [Fact]
    public void Star_takes_every_queue()
    {
        var pool = Assert.Single(QueueSelection.Parse("*:4"));

        Assert.Null(pool.Queues.Queues);
        Assert.Equal(4, pool.Slots);
        Assert.True(pool.Matches("anything"));
    }

    [Fact]
    public void Shared_pool_and_default_slots()
    {
        var pools = QueueSelection.Parse("mice,sparrows:1; default");

        Assert.Equal(["mice", "sparrows"], pools[0].Queues.Queues);
        Assert.False(pools[0].Queues.Exclude);
        Assert.Equal(["default"], pools[1].Queues.Queues);
        Assert.Equal(QueueSelection.DefaultSlots, pools[1].Slots);
    }

    [Fact]
    public void Minus_excludes_the_listed_queues()
    {
        var pool = Assert.Single(QueueSelection.Parse("-elephants,whales:2"));

        Assert.True(pool.Queues.Exclude);
        Assert.Equal(["elephants", "whales"], pool.Queues.Queues);
        Assert.False(pool.Matches("whales"));
        Assert.True(pool.Matches("mice"));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("mice:2;;elephants:1", "empty pool")]
    [InlineData("mice:0", "'0'")]
    [InlineData("mice:two", "'two'")]
    [InlineData("mice:1001", "'1001'")]
    [InlineData("-*:2", "excludes '*'")]
    [InlineData("*,mice:2", "mixes '*'")]
    [InlineData("mi ce:2", "'mi ce'")]
    [InlineData("mice,:2", "''")]
    public void Invalid_selection_names_the_bad_part(string selection, string expected)
    {
        var error = Assert.Throws<FormatException>(() => QueueSelection.Parse(selection));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
