//! `template.yaml` agrees with the code: the table is the shared definition,
//! each function's IAM grants exactly the actions it calls (recorded from
//! its SDK clients while it starts and serves every kind of delivery against
//! moto) on its own key prefix and its own secret, the build and routes name
//! the real binaries, and the environment sets only variables the code reads.
//!
//! The template's short-form intrinsics (`!Ref`, `!GetAtt`, `!Sub`, `!If`)
//! stay tagged values in `serde_yaml`, so references are checked by name.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chargeover_main_contact::auth::TokenKeys;
use integration_tests::{
    api_request, body_json, fresh_table, hmac_base64, local_aws, local_secret, recording_clients,
    CalledActions, HMAC_SHA512,
};
use occ_organization::auth::{Algorithms, HmacKeys};
use serde_yaml_ng::value::Tag;
use serde_yaml_ng::Value;
use webhook_shared::secret::{SecretLocation, SecretStore};
use webhook_shared::startup::prime;
use webhook_shared::table::{Table, TABLE};

/// One function of the template and what the code says about it.
struct Function {
    resource: &'static str,
    package: &'static str,
    secret_resource: &'static str,
    route: &'static str,
    url_output: &'static str,
    key_prefix: &'static str,
    /// Variables set on this function besides the global ones, and what each
    /// refers to (a resource or parameter name).
    env: [(&'static str, &'static str); 2],
}

const CHARGEOVER: Function = Function {
    resource: "ChargeOverMainContactFunction",
    package: "chargeover-main-contact",
    secret_resource: "ChargeOverWebhookSecret",
    route: "/chargeover/customer/main-contact",
    url_output: "ChargeOverWebhookUrl",
    key_prefix: chargeover_main_contact::store::KEY_PREFIX,
    env: [
        (
            chargeover_main_contact::config::SECRET_VARS.id,
            "ChargeOverWebhookSecret",
        ),
        ("CHARGEOVER_TIMEZONE", "ChargeOverTimezone"),
    ],
};

const OCC: Function = Function {
    resource: "OccOrganizationFunction",
    package: "occ-organization",
    secret_resource: "OccWebhookSecret",
    route: "/occ/organization",
    url_output: "OccWebhookUrl",
    key_prefix: occ_organization::store::KEY_PREFIX,
    env: [
        (occ_organization::config::SECRET_VARS.id, "OccWebhookSecret"),
        ("OCC_SIGNATURE_ALGORITHMS", "OccSignatureAlgorithms"),
    ],
};

const FUNCTIONS: [Function; 2] = [CHARGEOVER, OCC];

/// Variables both functions get from `Globals` (read by the shared config).
const GLOBAL_ENV: [(&str, &str); 2] = [
    ("TABLE_NAME", "WebhookTable"),
    ("EVENT_RETENTION_DAYS", "EventRetentionDays"),
];

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

fn template() -> Value {
    let path = workspace_root().join("template.yaml");
    let text = std::fs::read_to_string(&path).expect("read template.yaml");
    serde_yaml_ng::from_str(&text).expect("parse template.yaml")
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    let resource = &template["Resources"][name];
    assert!(resource.is_mapping(), "resource {name} is missing");
    resource
}

/// The argument of an intrinsic function, short (`!Ref x`) or long
/// (`{Ref: x}`) form.
fn intrinsic<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
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
fn reference(value: &Value) -> Option<&str> {
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
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(one) => vec![one.as_str()],
        Value::Sequence(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn items(value: &Value) -> &[Value] {
    value.as_sequence().map(Vec::as_slice).unwrap_or_default()
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

/// The actions the template grants `function`: DynamoDB actions (on the
/// table, item actions limited to its key prefix) and Secrets Manager
/// actions (on its own secret).
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
    let template = template();
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
/// refused and quarantined.
async fn called_actions() -> [BTreeSet<String>; 2] {
    let aws = local_aws().await;
    let table_name = fresh_table(&aws).await.name;
    let setup = aws_sdk_secretsmanager::Client::new(&aws);
    let actions = CalledActions::default();
    let (dynamodb, secrets) = recording_clients(&aws, &actions);
    let table = Table::new(dynamodb, table_name);

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
    prime(&table).await.expect("table");
    let receiver = chargeover_main_contact::Receiver {
        store: table.clone(),
        keys,
        timezone: jiff::tz::TimeZone::UTC,
        max_body_bytes: 1024 * 1024,
        retention_days: None,
    };
    let key = local_secret("LOCAL_CHARGEOVER_SECRET");
    let headers = [
        ("content-type", "application/json"),
        ("x-chargeover-key", key.as_str()),
    ];
    let change = |modified: &str| {
        serde_json::json!({"context_str": "customer", "context_id": 7, "event": "super",
            "data": {"customer": {"customer_id": 7, "mod_datetime": modified}}})
        .to_string()
    };
    for (body, outcome) in [
        (change("2024-01-02 00:00:00"), Some("applied")),
        (change("2024-01-02 00:00:00"), Some("duplicate")),
        (change("2024-01-01 00:00:00"), Some("stale")),
        ("{".to_owned(), None),
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
    prime(&table).await.expect("table");
    let receiver = occ_organization::Receiver {
        store: table.clone(),
        keys,
        algorithms: Algorithms::ALL,
        max_body_bytes: 1024 * 1024,
        retention_days: None,
    };
    let key = STANDARD.decode(key_text).expect("base64 key");
    for (body, outcome) in [
        (
            r#"{"organization": {"id": "or-1", "name": "A"}}"#,
            Some("applied"),
        ),
        (
            r#"{"organization": {"id": "or-1", "name": "B"}}"#,
            Some("applied"),
        ),
        (
            r#"{"organization": {"id": "or-1", "name": "B"}}"#,
            Some("duplicate"),
        ),
        (r#"{"organization": {"id": 5}}"#, None),
    ] {
        let signature = hmac_base64(HMAC_SHA512, &key, body.as_bytes());
        let headers = [
            ("content-type", "application/json"),
            ("x-oracle-cc-webhook-signature-sha512", signature.as_str()),
        ];
        let request = api_request("POST", "/occ/organization", &headers, body);
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

#[test]
fn sets_only_variables_the_code_reads() {
    let template = template();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .expect("Globals.Function.Environment.Variables");
    for function in FUNCTIONS {
        let name = function.resource;
        let own = resource(&template, name)["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .expect("function environment variables");
        let set: BTreeSet<(Option<&str>, Option<&str>)> = globals
            .iter()
            .chain(own)
            .map(|(key, value)| (key.as_str(), reference(value)))
            .collect();
        let expected: BTreeSet<(Option<&str>, Option<&str>)> = GLOBAL_ENV
            .iter()
            .chain(&function.env)
            .map(|&(var, target)| (Some(var), Some(target)))
            .collect();
        assert_eq!(set, expected, "{name}");
    }
}
