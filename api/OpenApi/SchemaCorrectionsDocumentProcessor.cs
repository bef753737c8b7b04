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
        schemas.Remove(nameof(WebhookEndpoints.EndpointIdRequest));

        // The replace endpoint reads its id from the route by hand, so the id is typed like the
        // other endpoint ids here.
        foreach (var parameter in context.Document.Paths.Values.SelectMany(path => path.Values).SelectMany(op => op.Parameters))
        {
            if (parameter.Kind == NSwag.OpenApiParameterKind.Path && parameter.Name == "id" && parameter.Schema?.Type == JsonObjectType.String)
            {
                parameter.Schema.Type = JsonObjectType.Integer;
                parameter.Schema.Format = "int64";
            }
        }

        schemas.Remove(nameof(Keys.KeyIdRequest));
        schemas.Remove(nameof(Audit.ListAuditRequest));
        schemas.Remove(nameof(Batches.GetBatchRequest));
        schemas.Remove(nameof(Schedules.ScheduleNameRequest));

        if (schemas.TryGetValue(nameof(PutScheduleRequest), out var schedule))
        {
            schedule.RequiredProperties.Clear();
            schedule.RequiredProperties.Add("cron");
            schedule.RequiredProperties.Add("job");
        }

        if (schemas.TryGetValue(nameof(ScheduleJob), out var template))
        {
            template.RequiredProperties.Clear();
            template.RequiredProperties.Add("kind");
        }

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

        if (schemas.TryGetValue(nameof(CreateBatchRequest), out var created) && created.Properties.TryGetValue("jobs", out var members))
        {
            members.MinLength = null;
            members.MinItems = 1;
            members.MaxItems = CreateBatchRequest.MaxJobs;
        }

        DescribeDuplicateHeader(context.Document);
    }

    // A unique enqueue that found an existing job responds 200 with a header naming that job.
    private static void DescribeDuplicateHeader(NSwag.OpenApiDocument document)
    {
        if (document.Paths.TryGetValue("/v1/jobs", out var path)
            && path.TryGetValue("post", out var enqueue)
            && enqueue.Responses.TryGetValue("200", out var duplicate))
        {
            duplicate.Headers[EnqueueResponses.DuplicateOfHeader] = new NSwag.OpenApiHeader
            {
                Description = "Id of the existing job that the unique enqueue matched.",
                Schema = new JsonSchema { Type = JsonObjectType.Integer, Format = "int64" },
            };
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
