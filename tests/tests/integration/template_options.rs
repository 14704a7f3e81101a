//! The template's optional settings, checked as CloudFormation deploys them
//! (`deployed`: conditions decided, `AWS::NoValue` removed): payload
//! versioning and its expiry, the customer-managed KMS key, S3 access
//! logging and reserved concurrency, each on and off.

use serde_yaml_ng::Value;
use webhook_shared::storage::Kind;

use super::template::{
    deployed, intrinsic, items, reference, resource, template, FUNCTIONS, KMS_ACTIONS, KMS_KEY,
};

/// The resources of `kind`, by name.
fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .map(|(name, resource)| (name.as_str().unwrap_or_default(), resource))
        .collect()
}

/// Whether `value` refers to the parameter `name` anywhere inside it.
fn mentions(value: &Value, name: &str) -> bool {
    match value {
        Value::Mapping(mapping) => mapping.values().any(|entry| mentions(entry, name)),
        Value::Sequence(entries) => entries.iter().any(|entry| mentions(entry, name)),
        Value::Tagged(tagged) => mentions(&tagged.value, name),
        Value::String(text) => text == name,
        _ => false,
    }
}

fn bucket(template: &Value) -> &Value {
    &resource(template, "PayloadBucket")["Properties"]
}

#[test]
fn payload_versions_are_kept_and_expire_after_the_parameter() {
    for retention in ["0", "30"] {
        let template = deployed(&template(), &[("EventRetentionDays", retention)]);
        let bucket = bucket(&template);
        assert_eq!(
            bucket["VersioningConfiguration"]["Status"].as_str(),
            Some("Enabled")
        );
        let rules = items(&bucket["LifecycleConfiguration"]["Rules"]);
        // One rule over the whole bucket: noncurrent versions expire, and
        // delete markers with no version left are removed. It never expires
        // a current object.
        let noncurrent: Vec<&Value> = rules
            .iter()
            .filter(|rule| !rule["NoncurrentVersionExpiration"].is_null())
            .collect();
        assert_eq!(noncurrent.len(), 1, "retention {retention}");
        let rule = noncurrent[0];
        assert_eq!(rule["Status"].as_str(), Some("Enabled"));
        assert_eq!(
            reference(&rule["NoncurrentVersionExpiration"]["NoncurrentDays"]),
            Some("PayloadVersionDays")
        );
        assert_eq!(rule["ExpiredObjectDeleteMarker"].as_bool(), Some(true));
        assert!(rule["Prefix"].is_null() && rule["ExpirationInDays"].is_null());

        // Event and quarantine documents expire with their items when
        // retention is set; no rule ever expires a current state document
        // (an item refers to it as long as it lives).
        let expiring: Vec<&Value> = rules
            .iter()
            .filter(|rule| !rule["ExpirationInDays"].is_null())
            .collect();
        let prefixes: Vec<&str> = expiring
            .iter()
            .filter_map(|rule| rule["Prefix"].as_str())
            .collect();
        let expected: Vec<String> = if retention == "0" {
            Vec::new()
        } else {
            FUNCTIONS
                .iter()
                .flat_map(|f| {
                    [Kind::Event, Kind::Quarantine]
                        .map(|kind| format!("{}{}", f.object_prefix, kind.segment()))
                })
                .collect()
        };
        assert_eq!(prefixes, expected, "retention {retention}");
        for rule in expiring {
            assert_eq!(
                reference(&rule["ExpirationInDays"]),
                Some("EventRetentionDays")
            );
            let prefix = rule["Prefix"].as_str().unwrap_or_default();
            for function in FUNCTIONS {
                let state = format!("{}{}", function.object_prefix, Kind::State.segment());
                assert!(!state.starts_with(prefix), "{prefix} would expire {state}");
            }
        }
    }
}

/// Where the key must be used: the data each kind of resource holds.
const KEY_PROPERTIES: [(&str, &str); 3] = [
    ("AWS::SecretsManager::Secret", "KmsKeyId"),
    ("AWS::Logs::LogGroup", "KmsKeyId"),
    ("AWS::DynamoDB::Table", "SSESpecification"),
];

#[test]
fn a_customer_managed_key_is_used_everywhere_when_given() {
    let template = deployed(&template(), &[("KmsKeyArn", KMS_KEY)]);
    for (kind, property) in KEY_PROPERTIES {
        let resources = of_type(&template, kind);
        assert!(!resources.is_empty(), "{kind}");
        for (name, resource) in resources {
            assert!(
                mentions(&resource["Properties"][property], "KmsKeyArn"),
                "{name}: {property} does not use the key"
            );
        }
    }
    let (_, table) = of_type(&template, "AWS::DynamoDB::Table")[0];
    let sse = &table["Properties"]["SSESpecification"];
    assert_eq!(sse["SSEType"].as_str(), Some("KMS"));
    assert_eq!(reference(&sse["KMSMasterKeyId"]), Some("KmsKeyArn"));

    let encryption = &bucket(&template)["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    let default = &encryption["ServerSideEncryptionByDefault"];
    assert_eq!(default["SSEAlgorithm"].as_str(), Some("aws:kms"));
    assert_eq!(reference(&default["KMSMasterKeyID"]), Some("KmsKeyArn"));
    assert_eq!(encryption["BucketKeyEnabled"].as_bool(), Some(true));

    // The functions' environment, and each function's use of the key.
    assert_eq!(
        reference(&template["Globals"]["Function"]["KmsKeyArn"]),
        Some("KmsKeyArn")
    );
    for function in FUNCTIONS {
        let statements: Vec<&Value> =
            items(&resource(&template, function.resource)["Properties"]["Policies"])
                .iter()
                .flat_map(|policy| items(&policy["Statement"]))
                .filter(|statement| mentions(&statement["Resource"], "KmsKeyArn"))
                .collect();
        assert_eq!(statements.len(), 1, "{}", function.resource);
        let actions: Vec<&str> = items(&statements[0]["Action"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(actions, KMS_ACTIONS, "{}", function.resource);
        // Only through the services that hold its data.
        let services: Vec<String> =
            items(&statements[0]["Condition"]["StringEquals"]["kms:ViaService"])
                .iter()
                .filter_map(|service| intrinsic(service, "Sub").and_then(Value::as_str))
                .map(|service| service.split('.').next().unwrap_or_default().to_owned())
                .collect();
        assert_eq!(
            services,
            ["dynamodb", "s3", "secretsmanager", "lambda"],
            "{}",
            function.resource
        );
    }
}

#[test]
fn without_a_key_nothing_names_one() {
    let template = deployed(&template(), &[]);
    assert!(!mentions(&template["Resources"], "KmsKeyArn"));
    assert!(!mentions(&template["Globals"], "KmsKeyArn"));
    let (_, table) = of_type(&template, "AWS::DynamoDB::Table")[0];
    assert_eq!(
        table["Properties"]["SSESpecification"]["SSEEnabled"].as_bool(),
        Some(true)
    );
    assert!(table["Properties"]["SSESpecification"]["SSEType"].is_null());
    let default = &bucket(&template)["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        ["ServerSideEncryptionByDefault"];
    assert_eq!(default["SSEAlgorithm"].as_str(), Some("AES256"));
}

#[test]
fn access_logging_goes_to_the_bucket_given() {
    let off = deployed(&template(), &[]);
    assert!(bucket(&off)["LoggingConfiguration"].is_null());

    let on = deployed(&template(), &[("AccessLogBucket", "my-access-logs")]);
    let logging = &bucket(&on)["LoggingConfiguration"];
    assert_eq!(
        reference(&logging["DestinationBucketName"]),
        Some("AccessLogBucket")
    );
    assert!(!logging["LogFilePrefix"].is_null());
}

#[test]
fn reserved_concurrency_is_set_only_when_given() {
    let parameters = [
        (
            "ChargeOverMainContactFunction",
            "ChargeOverReservedConcurrency",
        ),
        ("OccOrganizationFunction", "OccReservedConcurrency"),
    ];
    let off = deployed(&template(), &[]);
    for (function, _) in parameters {
        assert!(resource(&off, function)["Properties"]["ReservedConcurrentExecutions"].is_null());
    }
    for (function, parameter) in parameters {
        let on = deployed(&template(), &[(parameter, "5")]);
        assert_eq!(
            reference(&resource(&on, function)["Properties"]["ReservedConcurrentExecutions"]),
            Some(parameter)
        );
        for (other, _) in parameters.iter().filter(|(other, _)| *other != function) {
            assert!(resource(&on, other)["Properties"]["ReservedConcurrentExecutions"].is_null());
        }
    }
}
