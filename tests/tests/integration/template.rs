//! `template.yaml` agrees with the code: the table is the shared definition,
//! each function's IAM grants exactly the actions it calls (recorded from
//! its SDK clients while it starts and serves every kind of delivery against
//! moto) on its own key prefix and its own secret, the build and routes name
//! the real binaries, and the environment sets only variables the code reads.
//!
//! The template's short-form intrinsics (`!Ref`, `!GetAtt`, `!Sub`, `!If`)
//! stay tagged values in `serde_yaml`, so references are checked by name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chargeover_main_contact::auth::TokenKeys;
use integration_tests::{
    api_request, body_json, fresh_store, hmac_base64, local_aws, local_secret, recording_clients,
    test_common, CalledActions, HMAC_SHA512,
};
use occ_organization::auth::{Algorithms, HmacKeys};
use serde_yaml_ng::value::Tag;
use serde_yaml_ng::Value;
use webhook_shared::authenticate::secret::{SecretLocation, SecretStore};
use webhook_shared::operate::metrics;
use webhook_shared::operate::startup::prime;
use webhook_shared::receive::deadline::FUNCTION_TIMEOUT;
use webhook_shared::storage::schema::TABLE;
use webhook_shared::storage::Table;
use webhook_shared::storage::{Bucket, Store};

/// One function of the template and what the code says about it.
pub(crate) struct Function {
    pub(crate) resource: &'static str,
    pub(crate) package: &'static str,
    pub(crate) secret_resource: &'static str,
    pub(crate) route: &'static str,
    pub(crate) url_output: &'static str,
    pub(crate) key_prefix: &'static str,
    pub(crate) object_prefix: &'static str,
    /// The variable naming the function's secret in Secrets Manager.
    pub(crate) secret_var: &'static str,
    /// The function's configuration, parsed from an environment: whether it
    /// would start with it.
    pub(crate) configure: fn(&Environment) -> bool,
}

/// A process environment as the configuration reads it: a variable's value.
type Environment<'a> = dyn Fn(&str) -> Option<String> + 'a;

const CHARGEOVER: Function = Function {
    resource: "ChargeOverMainContactFunction",
    package: "chargeover-main-contact",
    secret_resource: "ChargeOverWebhookSecret",
    route: "/chargeover/customer/main-contact",
    url_output: "ChargeOverWebhookUrl",
    key_prefix: chargeover_main_contact::store::KEY_PREFIX,
    object_prefix: chargeover_main_contact::store::OBJECT_PREFIX,
    secret_var: chargeover_main_contact::config::SECRET_VARS.id,
    configure: |env| chargeover_main_contact::config::Config::from_env(&env).is_ok(),
};

const OCC: Function = Function {
    resource: "OccOrganizationFunction",
    package: "occ-organization",
    secret_resource: "OccWebhookSecret",
    route: occ_organization::ROUTE,
    url_output: "OccWebhookUrl",
    key_prefix: occ_organization::store::KEY_PREFIX,
    object_prefix: occ_organization::store::OBJECT_PREFIX,
    secret_var: occ_organization::config::SECRET_VARS.id,
    configure: |env| occ_organization::config::Config::from_env(&env).is_ok(),
};

pub(crate) const FUNCTIONS: [Function; 2] = [CHARGEOVER, OCC];

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

pub(crate) fn template() -> Value {
    let path = workspace_root().join("template.yaml");
    let text = std::fs::read_to_string(&path).expect("read template.yaml");
    serde_yaml_ng::from_str(&text).expect("parse template.yaml")
}

pub(crate) fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    let resource = &template["Resources"][name];
    assert!(resource.is_mapping(), "resource {name} is missing");
    resource
}

/// The argument of an intrinsic function, short (`!Ref x`) or long
/// (`{Ref: x}`) form.
pub(crate) fn intrinsic<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    match value {
        Value::Tagged(tagged) if tagged.tag == Tag::new(name) => Some(&tagged.value),
        Value::Mapping(mapping) if mapping.len() == 1 => {
            let long = if name == "Ref" {
                name.to_owned()
            } else {
                format!("Fn::{name}")
            };
            mapping.get(long.as_str())
        }
        _ => None,
    }
}

/// `!Ref name` gives `name`.
pub(crate) fn reference(value: &Value) -> Option<&str> {
    intrinsic(value, "Ref").and_then(Value::as_str)
}

/// `!GetAtt Resource.Attribute` (or its list form) gives `Resource.Attribute`.
fn get_att(value: &Value) -> Option<String> {
    match intrinsic(value, "GetAtt")? {
        Value::String(dotted) => Some(dotted.clone()),
        Value::Sequence(parts) => {
            let parts: Option<Vec<&str>> = parts.iter().map(Value::as_str).collect();
            Some(parts?.join("."))
        }
        _ => None,
    }
}

/// A string, or each string of a list (IAM allows both for actions).
pub(crate) fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(one) => vec![one.as_str()],
        Value::Sequence(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn items(value: &Value) -> &[Value] {
    value.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

/// The template as CloudFormation deploys it with `parameters` (the others
/// at their defaults): every `!If` decided by its condition, and what
/// `AWS::NoValue` stands for removed.
pub(crate) fn deployed(template: &Value, parameters: &[(&str, &str)]) -> Value {
    let parameter = |name: &str| -> String {
        if let Some((_, value)) = parameters.iter().find(|(given, _)| *given == name) {
            return (*value).to_owned();
        }
        match &template["Parameters"][name]["Default"] {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            other => panic!("parameter {name} has no default: {other:?}"),
        }
    };
    let mut resolved = template.clone();
    resolve(&mut resolved, &|name| {
        condition(&template["Conditions"][name], template, &parameter)
    });
    resolved
}

fn condition(value: &Value, template: &Value, parameter: &dyn Fn(&str) -> String) -> bool {
    let operand = |value: &Value| -> String {
        match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            _ => parameter(reference(value).expect("!Ref or a literal in !Equals")),
        }
    };
    if let Some(args) = intrinsic(value, "Not") {
        return !condition(&items(args)[0], template, parameter);
    }
    if let Some(args) = intrinsic(value, "Equals") {
        return operand(&items(args)[0]) == operand(&items(args)[1]);
    }
    if let Some(name) = intrinsic(value, "Condition").and_then(Value::as_str) {
        return condition(&template["Conditions"][name], template, parameter);
    }
    panic!("a condition this test does not evaluate: {value:?}")
}

fn resolve(value: &mut Value, decide: &dyn Fn(&str) -> bool) {
    while let Some(args) = intrinsic(value, "If") {
        let args = items(args);
        let name = args[0].as_str().expect("a condition name");
        *value = args[if decide(name) { 1 } else { 2 }].clone();
    }
    let no_value = |value: &Value| reference(value) == Some("AWS::NoValue");
    match value {
        Value::Mapping(mapping) => {
            for (_, entry) in mapping.iter_mut() {
                resolve(entry, decide);
            }
            mapping.retain(|_, entry| !no_value(entry));
        }
        Value::Sequence(entries) => {
            for entry in entries.iter_mut() {
                resolve(entry, decide);
            }
            entries.retain(|entry| !no_value(entry));
        }
        Value::Tagged(tagged) => resolve(&mut tagged.value, decide),
        _ => {}
    }
}

#[test]
fn table_matches_the_shared_definition() {
    let template = template();
    let table = resource(&template, "WebhookTable");
    assert_eq!(table["Type"].as_str(), Some("AWS::DynamoDB::Table"));
    assert_eq!(table["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(table["UpdateReplacePolicy"].as_str(), Some("Retain"));

    let properties = &table["Properties"];
    assert_eq!(properties["BillingMode"].as_str(), Some(TABLE.billing_mode));
    let keys: Vec<(Option<&str>, Option<&str>)> = items(&properties["KeySchema"])
        .iter()
        .map(|key| (key["AttributeName"].as_str(), key["KeyType"].as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            (Some(TABLE.partition_key), Some("HASH")),
            (Some(TABLE.sort_key), Some("RANGE"))
        ]
    );
    let attributes: BTreeSet<(Option<&str>, Option<&str>)> =
        items(&properties["AttributeDefinitions"])
            .iter()
            .map(|a| (a["AttributeName"].as_str(), a["AttributeType"].as_str()))
            .collect();
    assert_eq!(
        attributes,
        BTreeSet::from([
            (Some(TABLE.partition_key), Some("S")),
            (Some(TABLE.sort_key), Some("S"))
        ])
    );

    let ttl = &properties["TimeToLiveSpecification"];
    assert_eq!(ttl["AttributeName"].as_str(), Some(TABLE.ttl_attribute));
    assert_eq!(ttl["Enabled"].as_bool(), Some(true));
    assert_eq!(
        properties["StreamSpecification"]["StreamViewType"].as_str(),
        Some(TABLE.stream_view_type)
    );
    assert_eq!(
        properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        properties["SSESpecification"]["SSEEnabled"].as_bool(),
        Some(true)
    );
}

#[test]
fn payload_bucket_is_private_encrypted_tls_only_and_kept() {
    let template = deployed(&template(), &[]);
    let bucket = resource(&template, "PayloadBucket");
    assert_eq!(bucket["Type"].as_str(), Some("AWS::S3::Bucket"));
    assert_eq!(bucket["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(bucket["UpdateReplacePolicy"].as_str(), Some("Retain"));
    let properties = &bucket["Properties"];
    for block in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            properties["PublicAccessBlockConfiguration"][block].as_bool(),
            Some(true),
            "{block}"
        );
    }
    let encryption = &properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert!(encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"].is_string());

    let policy = resource(&template, "PayloadBucketPolicy");
    assert_eq!(
        reference(&policy["Properties"]["Bucket"]),
        Some("PayloadBucket")
    );
    let deny = &policy["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(deny["Effect"].as_str(), Some("Deny"));
    assert_eq!(
        deny["Condition"]["Bool"]["aws:SecureTransport"].as_str(),
        Some("false")
    );
    assert_eq!(
        items(&deny["Resource"]).len(),
        2,
        "the bucket and its objects"
    );

    assert_eq!(
        reference(&template["Outputs"]["PayloadBucketName"]["Value"]),
        Some("PayloadBucket")
    );
}

/// Our metrics as alarms and the dashboard name them: (metric, dimensions).
fn check_metric(metric: &str, dimensions: &[(String, String)], at: &str) {
    let (_, _, names) = metrics::METRICS
        .iter()
        .find(|(name, _, _)| *name == metric)
        .unwrap_or_else(|| panic!("{at}: {metric} is not a metric the code emits"));
    let used: Vec<&str> = dimensions.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(used, *names, "{at}: {metric}'s dimensions");
    for (name, value) in dimensions {
        match name.as_str() {
            metrics::FUNCTION => assert!(
                FUNCTIONS.iter().any(|f| f.package == value),
                "{at}: no function {value}"
            ),
            metrics::OUTCOME => assert!(
                integration_tests::metric_outcomes().any(|outcome| outcome == value),
                "{at}: no outcome {value}"
            ),
            other => panic!("{at}: dimension {other}"),
        }
    }
}

#[test]
fn alarms_and_dashboard_use_the_metrics_the_code_emits() {
    let template = template();
    assert_eq!(
        template["Parameters"]["MetricsNamespace"]["Default"].as_str(),
        Some(metrics::DEFAULT_NAMESPACE)
    );
    let resources = template["Resources"].as_mapping().expect("resources");
    let alarms: Vec<(&str, &Value)> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|(name, r)| (name.as_str().unwrap_or_default(), &r["Properties"]))
        .collect();
    let mut ours = Vec::new();
    for (name, alarm) in &alarms {
        if reference(&alarm["Namespace"]) != Some("MetricsNamespace") {
            continue;
        }
        let dimensions: Vec<(String, String)> = items(&alarm["Dimensions"])
            .iter()
            .map(|d| {
                let value = d["Value"].as_str().unwrap_or_default();
                (
                    d["Name"].as_str().unwrap_or_default().to_owned(),
                    value.to_owned(),
                )
            })
            .collect();
        let metric = alarm["MetricName"].as_str().unwrap_or_default();
        check_metric(metric, &dimensions, name);
        ours.push((metric.to_owned(), dimensions));
    }
    let timeout = template["Globals"]["Function"]["Timeout"].as_f64().unwrap();
    for function in FUNCTIONS {
        let function_dimension = (metrics::FUNCTION.to_owned(), function.package.to_owned());
        let has = |metric: &str, outcome: Option<&str>| {
            ours.iter().any(|(m, dims)| {
                m == metric
                    && dims.contains(&function_dimension)
                    && outcome
                        .is_none_or(|o| dims.contains(&(metrics::OUTCOME.to_owned(), o.to_owned())))
            })
        };
        assert!(
            has(metrics::QUARANTINED, None),
            "{}: quarantine alarm",
            function.package
        );
        assert!(
            has(metrics::DELIVERIES, Some("unauthorized")),
            "{}: 401 burst alarm",
            function.package
        );
        assert!(
            has(metrics::DELIVERIES, Some("applied")),
            "{}: silence alarm",
            function.package
        );

        // AWS's own metrics of the function: errors, throttles, duration.
        let on_function = |metric: &str| {
            alarms.iter().find(|(_, a)| {
                a["Namespace"].as_str() == Some("AWS/Lambda")
                    && a["MetricName"].as_str() == Some(metric)
                    && reference(&a["Dimensions"][0]["Value"]) == Some(function.resource)
            })
        };
        assert!(on_function("Errors").is_some() && on_function("Throttles").is_some());
        let (_, duration) = on_function("Duration").expect("duration alarm");
        assert_eq!(duration["ExtendedStatistic"].as_str(), Some("p99"));
        assert_eq!(duration["Threshold"].as_f64(), Some(timeout * 1000.0 * 0.8));
    }
    // Silence: off unless its parameter is set, and missing data is silence.
    for (name, alarm) in &alarms {
        if name.ends_with("SilenceAlarm") {
            let resource = &template["Resources"][*name];
            assert!(
                resource["Condition"].is_string(),
                "{name}: only when switched on"
            );
            assert_eq!(
                alarm["TreatMissingData"].as_str(),
                Some("breaching"),
                "{name}"
            );
            assert_eq!(
                alarm["ComparisonOperator"].as_str(),
                Some("LessThanThreshold")
            );
        }
    }
    let dynamodb = alarms.iter().any(|(_, a)| {
        items(&a["Metrics"])
            .iter()
            .any(|m| m["MetricStat"]["Metric"]["Namespace"].as_str() == Some("AWS/DynamoDB"))
    });
    assert!(dynamodb, "a DynamoDB throttling alarm");

    // The dashboard: every metric of ours it shows is one the code emits,
    // and it shows every outcome of each function.
    let body = intrinsic(
        &resource(&template, "WebhookDashboard")["Properties"]["DashboardBody"],
        "Sub",
    )
    .and_then(Value::as_str)
    .expect("DashboardBody is a !Sub text");
    let body: serde_json::Value = serde_json::from_str(body).expect("the dashboard is JSON");
    let mut shown = Vec::new();
    for widget in body["widgets"].as_array().unwrap() {
        for row in widget["properties"]["metrics"].as_array().unwrap() {
            let row: Vec<&str> = row
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|v| v.as_str())
                .collect();
            if row[0] != "${MetricsNamespace}" {
                continue;
            }
            let dimensions: Vec<(String, String)> = row[2..]
                .chunks(2)
                .map(|pair| (pair[0].to_owned(), pair[1].to_owned()))
                .collect();
            check_metric(row[1], &dimensions, "dashboard");
            shown.push((row[1].to_owned(), dimensions));
        }
    }
    for function in FUNCTIONS {
        for outcome in integration_tests::metric_outcomes() {
            let dims = vec![
                (metrics::FUNCTION.to_owned(), function.package.to_owned()),
                (metrics::OUTCOME.to_owned(), outcome.to_owned()),
            ];
            assert!(
                shown.contains(&(metrics::DELIVERIES.to_owned(), dims)),
                "{outcome}"
            );
        }
        for metric in [metrics::LATENCY, metrics::QUARANTINED] {
            let dims = vec![(metrics::FUNCTION.to_owned(), function.package.to_owned())];
            assert!(shown.contains(&(metric.to_owned(), dims)), "{metric}");
        }
    }
    let url =
        intrinsic(&template["Outputs"]["DashboardUrl"]["Value"], "Sub").and_then(Value::as_str);
    assert!(url.is_some_and(|url| url.contains("${WebhookDashboard}")));
}

/// A customer-managed key, as an operator gives it (`KmsKeyArn`).
pub(crate) const KMS_KEY: &str =
    "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789";

/// What the services that hold the function's data (DynamoDB, S3, Secrets
/// Manager, Lambda's environment) call on the key on its behalf, with its
/// credentials: decrypt what it reads, a data key for what it writes to S3.
pub(crate) const KMS_ACTIONS: [&str; 2] = ["kms:Decrypt", "kms:GenerateDataKey"];

/// The actions the template (deployed with `template`'s parameters) grants
/// `function`: DynamoDB actions (on the table, item actions limited to its
/// key prefix), S3 actions (on its own object prefix in the payload bucket),
/// Secrets Manager actions (on its own secret), and, with a customer-managed
/// key, exactly the KMS actions made on its behalf (on that key only; these
/// are not among the calls its SDK clients make).
fn granted(template: &Value, function: &Function) -> BTreeSet<String> {
    let name = function.resource;
    let statements: Vec<&Value> = items(&resource(template, name)["Properties"]["Policies"])
        .iter()
        .flat_map(|policy| items(&policy["Statement"]))
        .collect();
    assert!(
        !statements.is_empty(),
        "{name}: no inline policy statements"
    );
    let table_arn = "WebhookTable.Arn".to_owned();
    let leading_keys = [format!("{}*", function.key_prefix)];
    let mut granted = BTreeSet::new();
    for statement in statements {
        assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{name}");
        let actions = strings(&statement["Action"]);
        assert!(!actions.is_empty(), "{name}: statement without actions");
        if actions.iter().all(|a| a.starts_with("dynamodb:")) {
            assert_eq!(
                get_att(&statement["Resource"]).as_ref(),
                Some(&table_arn),
                "{name}: DynamoDB statements are on the table only"
            );
            // Every item-level action is limited to the function's keys;
            // DescribeTable is table-level and cannot carry LeadingKeys.
            if actions != ["dynamodb:DescribeTable"] {
                let condition =
                    &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
                assert_eq!(strings(condition), leading_keys, "{name}: {actions:?}");
            }
        } else if actions.iter().all(|a| a.starts_with("s3:")) {
            let objects = intrinsic(&statement["Resource"], "Sub").and_then(Value::as_str);
            assert_eq!(
                objects,
                Some(format!("${{PayloadBucket.Arn}}/{}*", function.object_prefix).as_str()),
                "{name}: its own objects only"
            );
        } else if actions.iter().all(|a| a.starts_with("kms:")) {
            assert_eq!(actions, KMS_ACTIONS, "{name}");
            assert_eq!(
                reference(&statement["Resource"]),
                Some("KmsKeyArn"),
                "{name}: the stack's key only"
            );
            continue;
        } else {
            assert!(
                actions.iter().all(|a| a.starts_with("secretsmanager:")),
                "{name}: unexpected actions {actions:?}"
            );
            assert_eq!(
                reference(&statement["Resource"]),
                Some(function.secret_resource),
                "{name}: its own secret only"
            );
        }
        granted.extend(actions.into_iter().map(str::to_owned));
    }
    assert_eq!(
        resource(template, function.secret_resource)["Type"].as_str(),
        Some("AWS::SecretsManager::Secret")
    );
    granted
}

#[tokio::test]
async fn each_function_is_granted_exactly_what_it_calls() {
    let template = deployed(&template(), &[("KmsKeyArn", KMS_KEY)]);
    let called = called_actions().await;
    for (function, called) in FUNCTIONS.iter().zip(called) {
        assert_eq!(
            granted(&template, function),
            called,
            "{}",
            function.resource
        );
    }
}

/// What each function calls (ChargeOver's, then OCC's), recorded while it
/// starts (secret from Secrets Manager, table primed) and serves a delivery
/// of every kind: applied, duplicate, stale, merged over a stored state,
/// too large for an item, refused and quarantined.
async fn called_actions() -> [BTreeSet<String>; 2] {
    let aws = local_aws().await;
    let fresh = fresh_store(&aws).await;
    let setup = aws_sdk_secretsmanager::Client::new(&aws);
    let actions = CalledActions::default();
    let (dynamodb, secrets, s3) = recording_clients(&aws, &actions);
    let store = Store {
        table: Table::new(dynamodb, fresh.table.name),
        bucket: Bucket {
            client: s3.into(),
            name: fresh.bucket.name,
        },
    };
    let large = "x".repeat(500_000);

    let secret = |name: &str, value: String| {
        let setup = setup.clone();
        let id = format!("{name}-{}", std::process::id());
        async move {
            setup
                .create_secret()
                .name(&id)
                .secret_string(value)
                .send()
                .await
                .expect("create secret");
            SecretLocation::SecretsManager { secret_id: id }
        }
    };

    // ChargeOver.
    let location = secret("iam-chargeover", local_secret("LOCAL_CHARGEOVER_SECRET")).await;
    let keys = SecretStore::<TokenKeys>::load(&location, || secrets.clone())
        .await
        .expect("secret");
    prime(&store.table).await.expect("table");
    let receiver = chargeover_main_contact::Receiver {
        common: test_common(store.clone(), keys),
        timezone: jiff::tz::TimeZone::UTC,
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    };
    let key = local_secret("LOCAL_CHARGEOVER_SECRET");
    let headers = [
        ("content-type", "application/json"),
        ("x-chargeover-key", key.as_str()),
    ];
    let change = |modified: &str, custom: &str| {
        serde_json::json!({"context_str": "customer", "context_id": 7, "event": "super",
            "data": {"customer": {"customer_id": 7, "mod_datetime": modified, "custom_30": custom}}})
        .to_string()
    };
    for (body, outcome) in [
        (change("2024-01-02 00:00:00", ""), Some("applied")),
        (change("2024-01-02 00:00:00", ""), Some("duplicate")),
        (change("2024-01-01 00:00:00", ""), Some("stale")),
        (change("2024-01-03 00:00:00", &large), Some("applied")),
        ("{".to_owned(), None),
        (format!("{{{large}"), None),
    ] {
        let path = "/chargeover/customer/main-contact";
        let response =
            chargeover_main_contact::handle(api_request("POST", path, &headers, &body), &receiver)
                .await;
        assert_eq!(body_json(&response)["outcome"].as_str(), outcome, "{body}");
    }
    let chargeover = actions.taken();

    // OCC.
    let key_text = local_secret("LOCAL_OCC_SECRET");
    let location = secret("iam-occ", key_text.clone()).await;
    let keys = SecretStore::<HmacKeys>::load(&location, || secrets.clone())
        .await
        .expect("secret");
    prime(&store.table).await.expect("table");
    let receiver = occ_organization::Receiver {
        common: test_common(store.clone(), keys),
        algorithms: Algorithms::ALL,
    };
    let key = STANDARD.decode(key_text).expect("base64 key");
    let organization = |name: &str, description: &str| {
        serde_json::json!({"organization": {"id": "or-1", "name": name, "description": description}})
            .to_string()
    };
    for (body, outcome) in [
        (organization("A", ""), Some("applied")),
        (organization("B", ""), Some("applied")),
        (organization("B", ""), Some("duplicate")),
        // Too large for an item, then replaced by another large one.
        (organization("C", &large), Some("applied")),
        (organization("D", &large), Some("applied")),
        (r#"{"organization": {"id": 5}}"#.to_owned(), None),
    ] {
        let signature = hmac_base64(HMAC_SHA512, &key, body.as_bytes());
        let headers = [
            ("content-type", "application/json"),
            ("x-oracle-cc-webhook-signature-sha512", signature.as_str()),
        ];
        let request = api_request("POST", "/occ/organization", &headers, &body);
        let response = occ_organization::handle(request, &receiver).await;
        assert_eq!(body_json(&response)["outcome"].as_str(), outcome, "{body}");
    }
    [chargeover, actions.taken()]
}

/// The bin targets of each workspace package, from `cargo metadata`.
fn binaries_by_package() -> BTreeSet<(String, String)> {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "cargo metadata failed");
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata JSON");
    let mut binaries = BTreeSet::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        for target in package["targets"].as_array().into_iter().flatten() {
            let is_bin = target["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
            if let (true, Some(package), Some(bin)) =
                (is_bin, package["name"].as_str(), target["name"].as_str())
            {
                binaries.insert((package.to_owned(), bin.to_owned()));
            }
        }
    }
    binaries
}

/// A delivery without a real deadline gets the functions' configured timeout.
#[test]
fn the_functions_timeout_is_the_one_the_code_falls_back_to() {
    let timeout = &template()["Globals"]["Function"]["Timeout"];
    assert_eq!(timeout.as_u64(), Some(FUNCTION_TIMEOUT.as_secs()));
}

#[test]
fn builds_the_real_binaries_and_routes_the_two_webhooks() {
    let template = template();
    let binaries = binaries_by_package();
    let mut routes = BTreeSet::new();
    for function in FUNCTIONS {
        let name = function.resource;
        let resource = resource(&template, name);
        assert_eq!(resource["Type"].as_str(), Some("AWS::Serverless::Function"));
        assert_eq!(
            resource["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda")
        );
        // cargo-lambda builds from the workspace root.
        assert_eq!(resource["Properties"]["CodeUri"].as_str(), Some("."));
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_default();
        assert!(
            binaries.contains(&(function.package.to_owned(), binary.to_owned())),
            "{name}: Binary {binary:?} is not a binary of {}",
            function.package
        );

        let events = resource["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flat_map(|events| events.values());
        for event in events {
            assert_eq!(event["Type"].as_str(), Some("HttpApi"), "{name}");
            let properties = &event["Properties"];
            assert_eq!(reference(&properties["ApiId"]), Some("WebhookApi"));
            let route = (
                properties["Method"].as_str().map(str::to_uppercase),
                properties["Path"].as_str(),
            );
            assert_eq!(route, (Some("POST".to_owned()), Some(function.route)));
            routes.insert(route);
        }

        let url = &template["Outputs"][function.url_output]["Value"];
        let url = intrinsic(url, "Sub").and_then(Value::as_str);
        assert!(
            url.is_some_and(|url| url.ends_with(function.route)),
            "{}: {url:?}",
            function.url_output
        );
    }
    assert_eq!(routes.len(), FUNCTIONS.len(), "one POST route per function");
    assert_eq!(
        resource(&template, "WebhookApi")["Type"].as_str(),
        Some("AWS::Serverless::HttpApi")
    );
}

/// Each function's environment as the template deploys it with its
/// defaults: a parameter's default for `!Ref Parameter`, the resource's
/// name for `!Ref Resource`.
fn environment(template: &Value, function: &Function) -> BTreeMap<String, String> {
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    let own = &resource(template, function.resource)["Properties"]["Environment"]["Variables"];
    let mut environment = BTreeMap::new();
    for variables in [globals, own] {
        for (name, value) in variables.as_mapping().expect("environment variables") {
            let target = reference(value).expect("each variable is a !Ref");
            let value = match &template["Parameters"][target]["Default"] {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                _ => target.to_owned(),
            };
            environment.insert(name.as_str().expect("a name").to_owned(), value);
        }
    }
    environment
}

/// What the code reads is recorded while each function's configuration is
/// parsed from the template's environment: every variable the template sets
/// is one the code reads, and the function starts with the defaults.
#[test]
fn sets_only_variables_the_code_reads() {
    let template = template();
    for function in FUNCTIONS {
        let environment = environment(&template, &function);
        let read = std::sync::Mutex::new(BTreeSet::new());
        let env = |name: &str| {
            read.lock().unwrap().insert(name.to_owned());
            environment.get(name).cloned()
        };
        assert!(
            (function.configure)(&env),
            "{}: the template's environment is not a configuration the function starts with",
            function.resource
        );
        let read = read.into_inner().unwrap();
        let unread: Vec<&String> = environment.keys().filter(|n| !read.contains(*n)).collect();
        assert!(
            unread.is_empty(),
            "{}: never read: {unread:?}",
            function.resource
        );
        let own = &resource(&template, function.resource)["Properties"]["Environment"]["Variables"];
        assert_eq!(
            reference(&own[function.secret_var]),
            Some(function.secret_resource),
            "{}: its own secret",
            function.resource
        );
    }
}
