//! `template.yaml` agrees with the code: the table is the shared definition,
//! each function's IAM grants exactly the actions it calls on its own key
//! prefix and its own secret, the build and routes name the real binaries,
//! and the environment sets only variables the code reads.
//!
//! The template's short-form intrinsics (`!Ref`, `!GetAtt`, `!Sub`, `!If`)
//! stay tagged values in `serde_yaml`, so references are checked by name.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_yaml::value::Tag;
use serde_yaml::Value;
use webhook_shared::table::TABLE;

/// One function of the template and what the code says about it.
struct Function {
    resource: &'static str,
    package: &'static str,
    secret_resource: &'static str,
    route: &'static str,
    url_output: &'static str,
    dynamodb_actions: &'static [&'static str],
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
    dynamodb_actions: chargeover_main_contact::store::DYNAMODB_ACTIONS,
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
    dynamodb_actions: occ_organization::store::DYNAMODB_ACTIONS,
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
    serde_yaml::from_str(&text).expect("parse template.yaml")
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

#[test]
fn each_function_is_granted_exactly_what_it_calls() {
    let template = template();
    let table_arn = "WebhookTable.Arn".to_owned();
    for function in FUNCTIONS {
        let name = function.resource;
        let statements: Vec<&Value> = items(&resource(&template, name)["Properties"]["Policies"])
            .iter()
            .flat_map(|policy| items(&policy["Statement"]))
            .collect();
        assert!(
            !statements.is_empty(),
            "{name}: no inline policy statements"
        );

        let leading_keys = [format!("{}*", function.key_prefix)];
        let mut dynamodb_actions = BTreeSet::new();
        let mut secret_grants = Vec::new();
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
                dynamodb_actions.extend(actions);
            } else {
                assert!(
                    actions.iter().all(|a| a.starts_with("secretsmanager:")),
                    "{name}: unexpected actions {actions:?}"
                );
                let secret = reference(&statement["Resource"]);
                secret_grants.extend(actions.into_iter().map(|a| (a, secret)));
            }
        }
        assert_eq!(
            dynamodb_actions,
            function.dynamodb_actions.iter().copied().collect(),
            "{name}"
        );
        assert_eq!(
            secret_grants,
            [(
                "secretsmanager:GetSecretValue",
                Some(function.secret_resource)
            )],
            "{name}"
        );
        assert_eq!(
            resource(&template, function.secret_resource)["Type"].as_str(),
            Some("AWS::SecretsManager::Secret")
        );
    }
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
