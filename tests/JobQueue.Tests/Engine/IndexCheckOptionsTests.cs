using JobQueue.Engine.Options;

namespace JobQueue.Tests.Engine;

public sealed class IndexCheckOptionsTests
{
    [Theory]
    [InlineData("-00:00:01", 0L)]
    [InlineData("00:01:00", -1L)]
    public void Negative_settings_are_rejected(string interval, long minimumBytes)
    {
        var options = new WorkerOptions
        {
            IndexCheckInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture),
            IndexRebuildMinimumBytes = minimumBytes,
        };

        var message = options.Validate();

        Assert.NotNull(message);
        Assert.Contains("Worker:IndexCheckInterval", message);
        Assert.Contains("Worker:IndexRebuildMinimumBytes", message);
    }

    [Fact]
    public void Zero_interval_is_valid()
    {
        var options = new WorkerOptions { IndexCheckInterval = TimeSpan.Zero, IndexRebuildMinimumBytes = 0 };

        Assert.Null(options.Validate());
    }

    [Fact]
    public void Defaults_are_valid()
    {
        var options = new WorkerOptions();

        Assert.Equal(TimeSpan.FromMinutes(1), options.IndexCheckInterval);
        Assert.Equal(64L * 1024 * 1024, options.IndexRebuildMinimumBytes);
        Assert.Null(options.Validate());
    }
}
