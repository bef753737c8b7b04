using JobQueue.Api.Hosting;

return await ApiCommands.RunAsync(args);

/// <summary>Entry point; public so that test hosts (Alba, WebApplicationFactory) can reference it.</summary>
public partial class Program;
