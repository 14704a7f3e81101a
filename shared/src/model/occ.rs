//! Oracle Commerce Cloud organization (account) webhook: the body
//! `{"organization": {...}}` with every documented property.

use serde_json::Value;

use super::{
    payload_model, ActionCode, AnyList, AnyObject, BoolOrText, Field, FieldError, Flag, Pointer,
    Problems, TextOrNumber,
};

payload_model! {
    pub struct OrganizationEvent {
        organization: Organization,
    }
}

payload_model! {
    pub struct Organization {
        active: Flag,
        allSecondaryAddresses: AnyObject,
        allSecondaryAddressesIsTruncated: Flag,
        ancestorOrganizations: Vec<Field<OrganizationRef>>,
        approvalRequired: Flag,
        billingAddress: Address,
        contract: Contract,
        customerType: String,
        delegateApprovalManagement: Flag,
        derivedBillingAddress: Address,
        derivedContract: Contract,
        derivedCustomerType: String,
        derivedDescription: String,
        derivedDunsNumber: String,
        derivedOrganizationLogo: String,
        derivedOrganizationLogoURL: String,
        derivedPaymentMethods: AnyList,
        derivedShippingAddress: Address,
        derivedShippingMethods: Vec<Field<ShippingMethod>>,
        derivedTaxExemptionCode: String,
        derivedTaxReferenceNumber: String,
        derivedType: String,
        derivedUniqueId: String,
        derivedUseAllPaymentMethodsFromSite: BoolOrText,
        derivedUseAllShippingMethodsFromSite: BoolOrText,
        derivedVatReferenceNumber: String,
        description: String,
        dunsNumber: String,
        externalOrganizationId: String,
        id: String,
        members: Vec<Field<Member>>,
        name: String,
        orderPriceLimit: TextOrNumber,
        organizationLogo: String,
        organizationLogoURL: String,
        parentOrganization: OrganizationRef,
        paymentMethods: AnyList,
        relativeRoles: Vec<Field<RelativeRole>>,
        repositoryId: String,
        secondaryAddresses: Vec<Field<SecondaryAddress>>,
        secondaryAddressesIsTruncated: Flag,
        secondaryMembers: Vec<Field<Member>>,
        shippingAddress: Address,
        shippingMethods: Vec<Field<ShippingMethod>>,
        siteOrganizationProperties: Vec<Field<SiteOrganizationProperties>>,
        taxExemptionCode: String,
        taxReferenceNumber: String,
        type_ = "type": String,
        uniqueId: String,
        useAllPaymentMethodsFromSite: Flag,
        useAllShippingMethodsFromSite: BoolOrText,
        useExternalApprovalWebhook: Flag,
        vatReferenceNumber: String,
    }
}

payload_model! {
    /// `parentOrganization` and the items of `ancestorOrganizations`.
    pub struct OrganizationRef {
        _actionCode: ActionCode,
        active: Flag,
        externalOrganizationId: String,
        id: String,
        name: String,
        repositoryId: String,
    }
}

payload_model! {
    /// Billing, shipping and derived addresses.
    pub struct Address {
        address1: String,
        address2: String,
        address3: String,
        city: String,
        companyName: String,
        country: String,
        externalAddressId: String,
        phoneNumber: String,
        postalCode: String,
        repositoryId: String,
        state: String,
    }
}

payload_model! {
    pub struct Contract {
        catalog: RepositoryRef,
        creationDate: String,
        derivedDescription: String,
        description: String,
        displayName: String,
        endDate: String,
        externalContractReference: String,
        priceListGroup: RepositoryRef,
        repositoryId: String,
        startDate: String,
        terms: Terms,
    }
}

payload_model! {
    /// `catalog` and `priceListGroup` of a contract.
    pub struct RepositoryRef {
        repositoryId: String,
    }
}

payload_model! {
    pub struct Terms {
        repositoryId: String,
        terms: String,
    }
}

payload_model! {
    /// Items of `members` and `secondaryMembers`.
    pub struct Member {
        _actionCode: ActionCode,
        customerContactId: String,
        repositoryId: String,
    }
}

payload_model! {
    pub struct RelativeRole {
        _actionCode: ActionCode,
        function: String,
        repositoryId: String,
    }
}

payload_model! {
    /// Items of `secondaryAddresses`: the `_actionCode` sits on `address`.
    pub struct SecondaryAddress {
        address: SecondaryAddressDetail,
        addressType: String,
    }
}

payload_model! {
    pub struct SecondaryAddressDetail {
        _actionCode: ActionCode,
        address1: String,
        address2: String,
        address3: String,
        city: String,
        companyName: String,
        country: String,
        externalAddressId: String,
        phoneNumber: String,
        postalCode: String,
        repositoryId: String,
        state: String,
        types: Vec<Field<AddressType>>,
    }
}

payload_model! {
    pub struct AddressType {
        _actionCode: ActionCode,
        displayName: String,
        id: String,
        repositoryId: String,
    }
}

payload_model! {
    pub struct ShippingMethod {
        _actionCode: ActionCode,
        displayName: String,
        id: String,
    }
}

payload_model! {
    /// Items of `siteOrganizationProperties`: the `_actionCode` sits on `properties`.
    pub struct SiteOrganizationProperties {
        properties: SiteProperties,
        site: Site,
    }
}

payload_model! {
    pub struct SiteProperties {
        _actionCode: ActionCode,
        approvalRequired: Flag,
        contract: Contract,
        delegateApprovalManagement: Flag,
        orderPriceLimit: TextOrNumber,
        paymentMethods: AnyList,
        shippingMethods: Vec<Field<ShippingMethod>>,
        useAllPaymentMethodsFromSite: Flag,
        useAllShippingMethodsFromSite: BoolOrText,
        useExternalApprovalWebhook: Flag,
    }
}

payload_model! {
    pub struct Site {
        siteId: String,
    }
}

/// A validated organization delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationChange {
    pub organization_id: String,
    pub organization: Organization,
}

impl OrganizationChange {
    /// Types and validates a parsed body.
    pub fn from_json(body: Value) -> Result<Self, Vec<FieldError>> {
        let root = Pointer::Root;
        let mut problems = Problems::default();
        let event = match Field::<OrganizationEvent>::from_json(body) {
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
        let Some(organization) = event.organization.into_value() else {
            return Err(problems.into_vec());
        };
        let id_at = organization_at.key("id");
        let organization_id = match &organization.id {
            Field::Value(id) if !id.is_empty() => Some(id.clone()),
            // A wrong type is reported by the type check.
            Field::Invalid(_) => None,
            _ => {
                problems.push(&id_at, "is required and must be a non-empty string");
                None
            }
        };
        problems.finish(())?;
        match organization_id {
            Some(organization_id) => Ok(OrganizationChange {
                organization_id,
                organization,
            }),
            None => Err(vec![FieldError {
                pointer: id_at.render(),
                detail: "must be a non-empty string".into(),
            }]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::ToAttribute;
    use serde_json::json;

    /// The seed document's example, verbatim.
    fn seed_example() -> Value {
        serde_json::from_str(include_str!("../../fixtures/occ-organization-seed.json")).unwrap()
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
        let change = OrganizationChange::from_json(seed_example()).unwrap();
        assert_eq!(change.organization_id, "or-300007");
        assert!(change.organization.extra.is_empty());
        assert_eq!(change.organization.relativeRoles.value().unwrap().len(), 5);
        // Stored back as sent.
        assert_eq!(
            change.organization.to_attribute(),
            seed_example()["organization"].to_attribute()
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
        let change = OrganizationChange::from_json(body.clone()).unwrap();
        let org = &change.organization;
        let site = org.siteOrganizationProperties.value().unwrap()[0]
            .value()
            .unwrap();
        let properties = site.properties.value().unwrap();
        assert_eq!(properties._actionCode, Field::Value(ActionCode::Update));
        assert_eq!(
            properties.useAllShippingMethodsFromSite,
            Field::Value(BoolOrText::Text("true".into()))
        );
        let secondary = org.secondaryAddresses.value().unwrap()[0].value().unwrap();
        let detail = secondary.address.value().unwrap();
        assert_eq!(detail.types.value().unwrap().len(), 1);
        assert!(detail.extra.is_empty() && secondary.extra.is_empty());
        assert!(org.extra.is_empty());
        assert_eq!(org.to_attribute(), body["organization"].to_attribute());
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
        let errors = OrganizationChange::from_json(body).unwrap_err();
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
    fn organization_and_id_are_required() {
        for (body, expected) in [
            (json!({}), "/organization"),
            (json!({"organization": []}), "/organization"),
            (json!({"organization": {"name": "x"}}), "/organization/id"),
            (json!({"organization": {"id": ""}}), "/organization/id"),
            (json!({"organization": {"id": 300007}}), "/organization/id"),
            (json!("organization"), ""),
        ] {
            let errors = OrganizationChange::from_json(body).unwrap_err();
            assert_eq!(pointers(&errors), [expected]);
        }
    }

    #[test]
    fn use_all_shipping_methods_as_bool_string_or_null() {
        for value in [json!(true), json!("false"), json!(null)] {
            let body =
                json!({"organization": {"id": "or-1", "useAllShippingMethodsFromSite": value}});
            assert!(OrganizationChange::from_json(body).is_ok());
        }
    }
}
