using JobQueue.Api.Jobs;
using JobQueue.Contracts;
using NJsonSchema;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace JobQueue.Api.OpenApi;

/// <summary>
/// Final corrections to the generated document. FastEndpoints derives schema limits from the
/// validators, but it applies the rules of collection items (RuleForEach) to the collection
/// itself and reads NotNull on items as "required". This processor sets the limits the validators enforce.
/// It also names the problem schema <c>ProblemDetails</c>, the name clients expect, and drops
/// schemas that nothing references.
/// </summary>
internal sealed class SchemaCorrectionsDocumentProcessor : IDocumentProcessor
{
    private const string ProblemSchemaName = "ProblemDetails";

    public void Process(DocumentProcessorContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var schemas = context.Document.Components.Schemas;

        // References point at schema objects, not names, so renaming the key renames every $ref.
        if (schemas.Remove(nameof(Errors.ApiProblem), out var problem))
        {
            problem.RequiredProperties.Add("type");
            problem.RequiredProperties.Add("title");
            problem.RequiredProperties.Add("status");
            schemas[ProblemSchemaName] = problem;
        }

        // These DTOs only carry route and query values, which the document lists as parameters.
        // FastEndpoints leaves their schemas behind unreferenced, and with more than one host in
        // a process (as in the tests) it empties them only sometimes, so they are dropped.
        schemas.Remove(nameof(JobIdRequest));
        schemas.Remove(nameof(ListJobsRequest));
        schemas.Remove(nameof(GetJobRequest));
        schemas.Remove(nameof(CountJobsRequest));
        schemas.Remove(nameof(Stats.GetStatsRequest));

        // The action is nullable in C# only so that a missing one is rejected rather than read as the first member.
        if (schemas.TryGetValue(nameof(BulkJobActionRequest), out var bulk))
        {
            if (!bulk.RequiredProperties.Contains("action"))
            {
                bulk.RequiredProperties.Add("action");
            }

            bulk.Properties["action"].IsNullableRaw = false;
        }

        if (schemas.TryGetValue(nameof(EnqueueJobRequest), out var job))
        {
            CorrectJobRequest(job);
        }

        if (schemas.TryGetValue(nameof(EnqueueBatchRequest), out var batch) && batch.Properties.TryGetValue("jobs", out var jobs))
        {
            jobs.MinLength = null;
            jobs.MinItems = 1;
            jobs.MaxItems = EnqueueBatchRequest.MaxJobs;
        }
    }

    private static void CorrectJobRequest(JsonSchema job)
    {
        job.RequiredProperties.Clear();
        job.RequiredProperties.Add("kind");
        job.Properties["kind"].MinLength = 1;

        var tags = job.Properties["tags"];
        tags.MinLength = null;
        tags.MaxLength = null;
        tags.IsNullableRaw = true;
        tags.MaxItems = JobRequestRules.MaxTags;
        tags.Item ??= new JsonSchema { Type = JsonObjectType.String };
        tags.Item.MinLength = 1;
        tags.Item.MaxLength = JobRequestRules.MaxTagLength;

        var timeout = job.Properties["timeout_seconds"];
        timeout.Minimum = 0;
        timeout.IsExclusiveMinimum = true;
        timeout.Maximum = (decimal)JobRequestRules.MaxTimeoutSeconds;

        var delay = job.Properties["delay_seconds"];
        delay.Minimum = 0;
        delay.Maximum = (decimal)JobRequestRules.MaxDelaySeconds;
    }
}
