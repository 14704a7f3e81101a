//! Oracle Commerce Cloud organization (account) webhook: the body
//! `{"organization": {...}}` with every documented property.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{
    payload_model, ActionCode, AnyList, AnyObject, BoolOrText, Field, FieldError, Flag, Pointer,
    Problems, Text, TextOrNumber,
};

payload_model! {
    pub struct OrganizationEvent<'a> {
        organization: Organization<'a>,
    }

    pub struct Organization<'a> {
        active: Flag,
        allSecondaryAddresses: AnyObject<'a>,
        allSecondaryAddressesIsTruncated: Flag,
        ancestorOrganizations: Vec<Field<'a, OrganizationRef<'a>>>,
        approvalRequired: Flag,
        billingAddress: Address<'a>,
        contract: Contract<'a>,
        customerType: Text<'a>,
        delegateApprovalManagement: Flag,
        derivedBillingAddress: Address<'a>,
        derivedContract: Contract<'a>,
        derivedCustomerType: Text<'a>,
        derivedDescription: Text<'a>,
        derivedDunsNumber: Text<'a>,
        derivedOrganizationLogo: Text<'a>,
        derivedOrganizationLogoURL: Text<'a>,
        derivedPaymentMethods: AnyList<'a>,
        derivedShippingAddress: Address<'a>,
        derivedShippingMethods: Vec<Field<'a, ShippingMethod<'a>>>,
        derivedTaxExemptionCode: Text<'a>,
        derivedTaxReferenceNumber: Text<'a>,
        derivedType: Text<'a>,
        derivedUniqueId: Text<'a>,
        derivedUseAllPaymentMethodsFromSite: BoolOrText<'a>,
        derivedUseAllShippingMethodsFromSite: BoolOrText<'a>,
        derivedVatReferenceNumber: Text<'a>,
        description: Text<'a>,
        dunsNumber: Text<'a>,
        externalOrganizationId: Text<'a>,
        id: Text<'a>,
        members: Vec<Field<'a, Member<'a>>>,
        name: Text<'a>,
        orderPriceLimit: TextOrNumber<'a>,
        organizationLogo: Text<'a>,
        organizationLogoURL: Text<'a>,
        parentOrganization: OrganizationRef<'a>,
        paymentMethods: AnyList<'a>,
        relativeRoles: Vec<Field<'a, RelativeRole<'a>>>,
        repositoryId: Text<'a>,
        secondaryAddresses: Vec<Field<'a, SecondaryAddress<'a>>>,
        secondaryAddressesIsTruncated: Flag,
        secondaryMembers: Vec<Field<'a, Member<'a>>>,
        shippingAddress: Address<'a>,
        shippingMethods: Vec<Field<'a, ShippingMethod<'a>>>,
        siteOrganizationProperties: Vec<Field<'a, SiteOrganizationProperties<'a>>>,
        taxExemptionCode: Text<'a>,
        taxReferenceNumber: Text<'a>,
        type_ = "type": Text<'a>,
        uniqueId: Text<'a>,
        useAllPaymentMethodsFromSite: Flag,
        useAllShippingMethodsFromSite: BoolOrText<'a>,
        useExternalApprovalWebhook: Flag,
        vatReferenceNumber: Text<'a>,
    }

    /// `parentOrganization` and the items of `ancestorOrganizations`.
    pub struct OrganizationRef<'a> {
        active: Flag,
        externalOrganizationId: Text<'a>,
        id: Text<'a>,
        name: Text<'a>,
        repositoryId: Text<'a>,
    }

    /// Billing, shipping and derived addresses.
    pub struct Address<'a> {
        address1: Text<'a>,
        address2: Text<'a>,
        address3: Text<'a>,
        city: Text<'a>,
        companyName: Text<'a>,
        country: Text<'a>,
        externalAddressId: Text<'a>,
        phoneNumber: Text<'a>,
        postalCode: Text<'a>,
        repositoryId: Text<'a>,
        state: Text<'a>,
    }

    pub struct Contract<'a> {
        catalog: RepositoryRef<'a>,
        creationDate: Text<'a>,
        derivedDescription: Text<'a>,
        description: Text<'a>,
        displayName: Text<'a>,
        endDate: Text<'a>,
        externalContractReference: Text<'a>,
        priceListGroup: RepositoryRef<'a>,
        repositoryId: Text<'a>,
        startDate: Text<'a>,
        terms: Terms<'a>,
    }

    /// `catalog` and `priceListGroup` of a contract.
    pub struct RepositoryRef<'a> {
        repositoryId: Text<'a>,
    }

    pub struct Terms<'a> {
        repositoryId: Text<'a>,
        terms: Text<'a>,
    }

    /// Items of `members` and `secondaryMembers`.
    pub struct Member<'a> {
        customerContactId: Text<'a>,
        repositoryId: Text<'a>,
    }

    pub struct RelativeRole<'a> {
        function: Text<'a>,
        repositoryId: Text<'a>,
    }

    /// Items of `secondaryAddresses`: the `_actionCode` sits on `address`.
    pub struct SecondaryAddress<'a> {
        address: SecondaryAddressDetail<'a>,
        addressType: Text<'a>,
    }

    pub struct SecondaryAddressDetail<'a> {
        address1: Text<'a>,
        address2: Text<'a>,
        address3: Text<'a>,
        city: Text<'a>,
        companyName: Text<'a>,
        country: Text<'a>,
        externalAddressId: Text<'a>,
        phoneNumber: Text<'a>,
        postalCode: Text<'a>,
        repositoryId: Text<'a>,
        state: Text<'a>,
        types: Vec<Field<'a, AddressType<'a>>>,
    }

    pub struct AddressType<'a> {
        displayName: Text<'a>,
        id: Text<'a>,
        repositoryId: Text<'a>,
    }

    pub struct ShippingMethod<'a> {
        displayName: Text<'a>,
        id: Text<'a>,
    }

    /// Items of `siteOrganizationProperties`: the `_actionCode` sits on `properties`.
    pub struct SiteOrganizationProperties<'a> {
        properties: SiteProperties<'a>,
        site: Site<'a>,
    }

    pub struct SiteProperties<'a> {
        approvalRequired: Flag,
        contract: Contract<'a>,
        delegateApprovalManagement: Flag,
        orderPriceLimit: TextOrNumber<'a>,
        paymentMethods: AnyList<'a>,
        shippingMethods: Vec<Field<'a, ShippingMethod<'a>>>,
        useAllPaymentMethodsFromSite: Flag,
        useAllShippingMethodsFromSite: BoolOrText<'a>,
        useExternalApprovalWebhook: Flag,
    }

    pub struct Site<'a> {
        siteId: Text<'a>,
    }
}

/// A validated organization delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationChange<'a> {
    pub organization_id: &'a str,
    pub organization: Organization<'a>,
}

impl<'a> OrganizationChange<'a> {
    /// Types and validates a parsed body.
    pub fn read(body: &'a AttributeValue) -> Result<Self, Vec<FieldError>> {
        let root = Pointer::Root;
        let mut problems = Problems::default();
        let event = match Field::<OrganizationEvent>::read(body) {
            Field::Value(event) => event,
            _ => {
                problems.push(&root, "the body must be a JSON object");
                return Err(problems.into_vec());
            }
        };
        let organization_at = root.key("organization");
        event
            .organization
            .check_required(&organization_at, &mut problems);
        check_action_codes(body, &root, &mut problems);
        let Some(organization) = event.organization.into_value() else {
            return Err(problems.into_sorted());
        };
        let id_at = organization_at.key("id");
        let organization_id = organization.id.value().filter(|id| !id.is_empty()).copied();
        // A wrong type is reported by the type check.
        if organization_id.is_none() && !matches!(organization.id, Field::Invalid(_)) {
            problems.push(&id_at, "is required and must be a non-empty string");
        }
        match organization_id {
            Some(organization_id) if problems.is_empty() => Ok(OrganizationChange {
                organization_id,
                organization,
            }),
            // Without an id, a problem says why.
            _ => Err(problems.into_sorted()),
        }
    }
}

/// Every `_actionCode`, at any depth and in any object (known to the schema
/// or not), must be one of the three codes: the merge acts on it.
fn check_action_codes(value: &AttributeValue, at: &Pointer<'_>, problems: &mut Problems) {
    match value {
        AttributeValue::M(members) => {
            for (key, member) in members {
                let here = at.key(key);
                if key == ActionCode::MEMBER && ActionCode::read(member).is_none() {
                    problems.push(&here, format!("must be {}", ActionCode::EXPECTED));
                }
                check_action_codes(member, &here, problems);
            }
        }
        AttributeValue::L(items) => {
            for (index, item) in items.iter().enumerate() {
                check_action_codes(item, &at.index(index), problems);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::attribute::ToAttribute;
    use crate::validate::json::tests::attr;
    use serde_json::{json, Value};

    /// The seed document's example, verbatim.
    fn seed_example() -> Value {
        serde_json::from_str(include_str!("../../../fixtures/occ-organization-seed.json")).unwrap()
    }

    fn address(action: &str, id: &str) -> Value {
        json!({"address": {"_actionCode": action, "repositoryId": id, "address1": "1 Main St",
               "address2": "", "address3": "", "city": "Austin", "companyName": "Acme",
               "country": "US", "externalAddressId": "x1", "phoneNumber": "555",
               "postalCode": "78701", "state": "TX",
               "types": [{"_actionCode": "CREATE", "displayName": "Shipping", "id": "SHIPPING",
                          "repositoryId": "t1"}]},
               "addressType": "Home"})
    }

    fn pointers(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.pointer.as_str()).collect()
    }

    #[test]
    fn seed_example_validates_with_nothing_unknown() {
        let body = attr(seed_example());
        let change = OrganizationChange::read(&body).unwrap();
        assert_eq!(change.organization_id, "or-300007");
        assert!(change.organization.extra.is_empty());
        assert_eq!(change.organization.relativeRoles.value().unwrap().len(), 5);
        // Stored back as sent.
        assert_eq!(
            change.organization.to_attribute(),
            attr(seed_example()["organization"].clone())
        );
    }

    #[test]
    fn every_nested_object_parses() {
        let contract = json!({"catalog": {"repositoryId": "cat1"}, "creationDate": "2024-01-01",
            "derivedDescription": "d", "description": "d", "displayName": "C",
            "endDate": "2025-01-01", "externalContractReference": "ext",
            "priceListGroup": {"repositoryId": "plg1"}, "repositoryId": "c1",
            "startDate": "2024-01-01", "terms": {"repositoryId": "t1", "terms": "Net 30"}});
        let body = json!({"organization": {
            "id": "or-1", "repositoryId": "or-1", "externalOrganizationId": "e1",
            "contract": contract, "derivedContract": contract,
            "parentOrganization": {"active": true, "externalOrganizationId": "e0", "id": "or-0",
                                   "name": "Parent", "repositoryId": "or-0"},
            "ancestorOrganizations": [{"_actionCode": "UPDATE", "active": true, "id": "or-0",
                                       "name": "Parent", "repositoryId": "or-0"}],
            "members": [{"_actionCode": "CREATE", "customerContactId": "cc1", "repositoryId": "u1"}],
            "secondaryMembers": [{"customerContactId": "cc2", "repositoryId": "u2"}],
            "relativeRoles": [{"_actionCode": "DELETE", "function": "buyer", "repositoryId": "r1"}],
            "secondaryAddresses": [address("CREATE", "a1")],
            "secondaryAddressesIsTruncated": true, "allSecondaryAddressesIsTruncated": true,
            "shippingMethods": [{"_actionCode": "CREATE", "displayName": "Ground", "id": "sm1"}],
            "siteOrganizationProperties": [{"properties": {
                "_actionCode": "UPDATE", "approvalRequired": true, "contract": contract,
                "delegateApprovalManagement": false, "orderPriceLimit": "1000",
                "paymentMethods": ["card"], "shippingMethods": [{"_actionCode": "CREATE",
                "displayName": "Air", "id": "sm2"}], "useAllPaymentMethodsFromSite": false,
                "useAllShippingMethodsFromSite": "true", "useExternalApprovalWebhook": false},
                "site": {"siteId": "siteUS"}}],
            "billingAddress": {"address1": "a", "address2": "b", "address3": "c", "city": "d",
                "companyName": "e", "country": "US", "externalAddressId": "f",
                "phoneNumber": "g", "postalCode": "h", "repositoryId": "i", "state": "TX"},
            "useAllShippingMethodsFromSite": true, "orderPriceLimit": 2500
        }});
        let stored = attr(body.clone());
        let change = OrganizationChange::read(&stored).unwrap();
        let org = &change.organization;
        let site = org.siteOrganizationProperties.value().unwrap()[0]
            .value()
            .unwrap();
        let properties = site.properties.value().unwrap();
        assert_eq!(properties.extra, [("_actionCode", &attr(json!("UPDATE")))]);
        assert_eq!(
            properties.useAllShippingMethodsFromSite,
            Field::Value(BoolOrText::Text("true"))
        );
        let secondary = org.secondaryAddresses.value().unwrap()[0].value().unwrap();
        let detail = secondary.address.value().unwrap();
        assert_eq!(detail.types.value().unwrap().len(), 1);
        assert_eq!(detail.extra, [("_actionCode", &attr(json!("CREATE")))]);
        assert!(secondary.extra.is_empty());
        assert!(org.extra.is_empty());
        assert_eq!(org.to_attribute(), attr(body["organization"].clone()));
    }

    #[test]
    fn problems_anywhere_are_reported_at_once() {
        let body = json!({"organization": {
            "id": "or-1", "active": "sometimes",
            "relativeRoles": [{"function": "admin", "repositoryId": "1"},
                              {"_actionCode": "MERGE", "repositoryId": 2}],
            "secondaryAddresses": [{"address": {"types": [{"_actionCode": "create"}]}}],
            "contract": {"terms": {"terms": 30}},
            "useAllShippingMethodsFromSite": 1,
            "members": {}
        }});
        let errors = OrganizationChange::read(&attr(body)).unwrap_err();
        assert_eq!(
            pointers(&errors),
            [
                "/organization/active",
                "/organization/contract/terms/terms",
                "/organization/members",
                "/organization/relativeRoles/1/_actionCode",
                "/organization/relativeRoles/1/repositoryId",
                "/organization/secondaryAddresses/0/address/types/0/_actionCode",
                "/organization/useAllShippingMethodsFromSite",
            ]
        );
    }

    #[test]
    fn action_codes_are_checked_in_every_object() {
        let body = json!({"organization": {
            "id": "or-1",
            "billingAddress": {"_actionCode": "MERGE", "city": "Austin"},
            "customThings": [{"_actionCode": "Delete", "id": "x1"},
                             {"_actionCode": "DELETE", "id": "x2"},
                             {"nested": {"deeper": [{"_actionCode": null}]}}],
            "parentOrganization": {"_actionCode": "UPDATE", "id": "or-0"}
        }});
        let errors = OrganizationChange::read(&attr(body)).unwrap_err();
        assert_eq!(
            pointers(&errors),
            [
                "/organization/billingAddress/_actionCode",
                "/organization/customThings/0/_actionCode",
                "/organization/customThings/2/nested/deeper/0/_actionCode",
            ]
        );
        assert!(errors
            .iter()
            .all(|e| e.detail == "must be one of CREATE, UPDATE, DELETE"));
    }

    #[test]
    fn organization_and_id_are_required() {
        for (body, expected) in [
            (json!({}), "/organization"),
            (json!({"organization": []}), "/organization"),
            (json!({"organization": {"name": "x"}}), "/organization/id"),
            (json!({"organization": {"id": ""}}), "/organization/id"),
            (json!({"organization": {"id": 300007}}), "/organization/id"),
            (json!("organization"), ""),
        ] {
            let errors = OrganizationChange::read(&attr(body)).unwrap_err();
            assert_eq!(pointers(&errors), [expected]);
        }
    }

    #[test]
    fn use_all_shipping_methods_as_bool_string_or_null() {
        for value in [json!(true), json!("false"), json!(null)] {
            let body =
                json!({"organization": {"id": "or-1", "useAllShippingMethodsFromSite": value}});
            assert!(OrganizationChange::read(&attr(body)).is_ok());
        }
    }
}
