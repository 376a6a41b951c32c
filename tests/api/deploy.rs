//! The SpinKube manifests of `deploy/spinkube/`: valid against SpinKube's own CRDs (kept as fixtures),
//! with no field the operator would prune, and consistent with spin.toml (every secret bound, the
//! scheduler calling the jobs route with the app's jobs token).

use ::host::manifest::Manifest;
use ::host::workspace_root;
use serde_json::Value;
use std::collections::BTreeSet;

fn yaml(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(workspace_root().join(path)).expect(path);
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| serde::Deserialize::deserialize(document).expect(path))
        .collect()
}

/// The `openAPIV3Schema` of a CRD fixture.
fn crd_schema(file: &str) -> Value {
    let crd = yaml(&format!("tests/fixtures/spinkube/{file}")).remove(0);
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
}

/// Fields of `value` that `schema` does not declare: Kubernetes drops those silently (pruning), so a
/// misspelt field would be lost without a word.
fn undeclared(value: &Value, schema: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                let path = format!("{at}.{name}");
                if path == ".metadata" {
                    // Kubernetes' own object metadata, not the CRD's to declare.
                    continue;
                }
                match (&schema["properties"][name], &schema["additionalProperties"]) {
                    (Value::Null, Value::Null) => found.push(path),
                    (Value::Null, additional) => undeclared(field, additional, &path, found),
                    (declared, _) => undeclared(field, declared, &path, found),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                undeclared(item, &schema["items"], &format!("{at}[{i}]"), found);
            }
        }
        _ => {}
    }
}

fn assert_valid(manifest: &Value, schema: &Value) {
    let validator = jsonschema::validator_for(schema).expect("the CRD schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(manifest)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut found = Vec::new();
    undeclared(manifest, schema, "", &mut found);
    assert!(
        found.is_empty(),
        "fields the CRD does not declare: {found:?}"
    );
}

#[test]
fn the_spinapp_and_its_executor_are_valid_against_spinkubes_crds() {
    let app = yaml("deploy/spinkube/spinapp.yaml").remove(0);
    assert_eq!(app["kind"], "SpinApp");
    assert_valid(&app, &crd_schema("core.spinkube.dev_spinapps.yaml"));
    let executor = yaml("deploy/spinkube/executor.yaml").remove(0);
    assert_eq!(executor["kind"], "SpinAppExecutor");
    assert_valid(
        &executor,
        &crd_schema("core.spinkube.dev_spinappexecutors.yaml"),
    );
    assert_eq!(app["spec"]["executor"], executor["metadata"]["name"]);
}

#[test]
fn a_field_the_crd_does_not_declare_is_caught() {
    let mut app = yaml("deploy/spinkube/spinapp.yaml").remove(0);
    app["spec"]["replica"] = Value::from(2);
    let mut found = Vec::new();
    undeclared(
        &app,
        &crd_schema("core.spinkube.dev_spinapps.yaml"),
        "",
        &mut found,
    );
    assert_eq!(found, [".spec.replica"]);
}

#[test]
fn the_spinapp_binds_every_secret_and_required_variable_of_spin_toml_from_a_secret() {
    let manifest = Manifest::load(&workspace_root().join("spin.toml")).unwrap();
    let app = yaml("deploy/spinkube/spinapp.yaml").remove(0);
    let bound: BTreeSet<&str> = app["spec"]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    for (name, variable) in &manifest.variables {
        if variable.secret || variable.required {
            assert!(bound.contains(name.as_str()), "{name} is not bound");
        }
        if variable.secret {
            let binding = app["spec"]["variables"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["name"] == name.as_str())
                .unwrap();
            assert!(
                binding["value"].is_null() && binding["valueFrom"]["secretKeyRef"].is_object(),
                "secret {name} must come from a Secret, never inline"
            );
        }
    }
    for name in &bound {
        assert!(
            manifest.variables.contains_key(*name),
            "{name} is not a variable of spin.toml"
        );
    }
    let secrets = yaml("deploy/spinkube/secret.example.yaml");
    let runtime = secrets
        .iter()
        .find(|s| s["metadata"]["name"] == app["spec"]["runtimeConfig"]["loadFromSecret"])
        .expect("the runtime config's Secret is shown");
    let config: toml::Table = toml::from_str(
        runtime["stringData"]["runtime-config.toml"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        config["key_value_store"]["default"]["type"].as_str(),
        Some("redis")
    );
}

#[test]
fn the_scheduler_posts_to_the_jobs_route_of_the_spinapp_with_its_jobs_token() {
    let manifest = Manifest::load(&workspace_root().join("spin.toml")).unwrap();
    let app = yaml("deploy/spinkube/spinapp.yaml").remove(0);
    let cron = yaml("deploy/spinkube/cronjob.yaml").remove(0);
    assert_eq!(
        (cron["apiVersion"].as_str(), cron["kind"].as_str()),
        (Some("batch/v1"), Some("CronJob"))
    );
    assert_eq!(
        cron["spec"]["schedule"]
            .as_str()
            .unwrap()
            .split(' ')
            .count(),
        5
    );
    let container = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let url = args.last().unwrap();
    let service = app["metadata"]["name"].as_str().unwrap();
    let path = url
        .strip_prefix(&format!("http://{service}"))
        .expect("the SpinApp's service");
    assert_eq!(path, "/api/jobs/run");
    assert!(
        manifest
            .http_triggers
            .iter()
            .any(|t| t.component == "jobs" && path.starts_with(t.route.trim_end_matches("/...")))
    );
    assert!(args.contains(&"POST"));
    let token = &container["env"][0];
    let jobs_token = app["spec"]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "jobs_token")
        .unwrap();
    assert_eq!(token["valueFrom"], jobs_token["valueFrom"]);
    assert!(
        args.contains(
            &format!(
                "Authorization: Bearer $({})",
                token["name"].as_str().unwrap()
            )
            .as_str()
        )
    );
}

#[test]
fn the_probes_use_the_health_routes_and_restart_a_pod_after_about_two_minutes_without_its_store() {
    let manifest = Manifest::load(&workspace_root().join("spin.toml")).unwrap();
    let app = yaml("deploy/spinkube/spinapp.yaml").remove(0);
    let checks = &app["spec"]["checks"];
    let seconds = |probe: &str, field: &str| checks[probe][field].as_u64().unwrap();
    assert_eq!(checks["readiness"]["httpGet"]["path"], "/health/ready");
    assert_eq!(checks["liveness"]["httpGet"]["path"], "/health/live");
    for probe in ["/health/ready", "/health/live"] {
        assert_eq!(shared::routes::allowed(probe), Some("GET"), "{probe}");
    }
    // Out of rotation at the first failed readiness probe, which waits out the app's 5 s read.
    assert_eq!(seconds("readiness", "failureThreshold"), 1);
    assert!(seconds("readiness", "timeoutSeconds") > 5);
    // Restarted after about two minutes of failed liveness probes, each longer than the app's wait.
    let restart_after =
        seconds("liveness", "periodSeconds") * seconds("liveness", "failureThreshold");
    assert!((90..=150).contains(&restart_after), "{restart_after} s");
    let wait: u64 = manifest.variables["liveness_store_seconds"]
        .default
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seconds("liveness", "timeoutSeconds") > wait);
}
