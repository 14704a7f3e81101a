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
}

payload_model! {
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
}

payload_model! {
    /// `parentOrganization` and the items of `ancestorOrganizations`.
    pub struct OrganizationRef<'a> {
        _actionCode: ActionCode,
        active: Flag,
        externalOrganizationId: Text<'a>,
        id: Text<'a>,
        name: Text<'a>,
        repositoryId: Text<'a>,
    }
}

payload_model! {
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
}

payload_model! {
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
}

payload_model! {
    /// `catalog` and `priceListGroup` of a contract.
    pub struct RepositoryRef<'a> {
        repositoryId: Text<'a>,
    }
}

payload_model! {
    pub struct Terms<'a> {
        repositoryId: Text<'a>,
        terms: Text<'a>,
    }
}

payload_model! {
    /// Items of `members` and `secondaryMembers`.
    pub struct Member<'a> {
        _actionCode: ActionCode,
        customerContactId: Text<'a>,
        repositoryId: Text<'a>,
    }
}

payload_model! {
    pub struct RelativeRole<'a> {
        _actionCode: ActionCode,
        function: Text<'a>,
        repositoryId: Text<'a>,
    }
}

payload_model! {
    /// Items of `secondaryAddresses`: the `_actionCode` sits on `address`.
    pub struct SecondaryAddress<'a> {
        address: SecondaryAddressDetail<'a>,
        addressType: Text<'a>,
    }
}

payload_model! {
    pub struct SecondaryAddressDetail<'a> {
        _actionCode: ActionCode,
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
}

payload_model! {
    pub struct AddressType<'a> {
        _actionCode: ActionCode,
        displayName: Text<'a>,
        id: Text<'a>,
        repositoryId: Text<'a>,
    }
}

payload_model! {
    pub struct ShippingMethod<'a> {
        _actionCode: ActionCode,
        displayName: Text<'a>,
        id: Text<'a>,
    }
}

payload_model! {
    /// Items of `siteOrganizationProperties`: the `_actionCode` sits on `properties`.
    pub struct SiteOrganizationProperties<'a> {
        properties: SiteProperties<'a>,
        site: Site<'a>,
    }
}

payload_model! {
    pub struct SiteProperties<'a> {
        _actionCode: ActionCode,
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
}

payload_model! {
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
        let Some(organization) = event.organization.into_value() else {
            return Err(problems.into_vec());
        };
        let id_at = organization_at.key("id");
        let organization_id = match &organization.id {
            Field::Value(id) if !id.is_empty() => Some(*id),
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
    use serde_json::{json, Value};

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
        let body = seed_example().to_attribute();
        let change = OrganizationChange::read(&body).unwrap();
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
        let stored = body.to_attribute();
        let change = OrganizationChange::read(&stored).unwrap();
        let org = &change.organization;
        let site = org.siteOrganizationProperties.value().unwrap()[0]
            .value()
            .unwrap();
        let properties = site.properties.value().unwrap();
        assert_eq!(properties._actionCode, Field::Value(ActionCode::Update));
        assert_eq!(
            properties.useAllShippingMethodsFromSite,
            Field::Value(BoolOrText::Text("true"))
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
        let errors = OrganizationChange::read(&body.to_attribute()).unwrap_err();
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
            let errors = OrganizationChange::read(&body.to_attribute()).unwrap_err();
            assert_eq!(pointers(&errors), [expected]);
        }
    }

    #[test]
    fn use_all_shipping_methods_as_bool_string_or_null() {
        for value in [json!(true), json!("false"), json!(null)] {
            let body =
                json!({"organization": {"id": "or-1", "useAllShippingMethodsFromSite": value}});
            assert!(OrganizationChange::read(&body.to_attribute()).is_ok());
        }
    }
}
