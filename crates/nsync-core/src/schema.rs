//! JSON Schemas of the domain types the API reads and writes, for its OpenAPI document.
//! Types that serde reads through a check (`try_from`) say here what that check accepts.

/// Implements `schemars::JsonSchema` for `$ty` as the inline schema `$schema` (JSON).
macro_rules! schema_as {
    ($ty:ty, $name:expr, $schema:tt) => {
        impl ::schemars::JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!($schema)
            }
        }
    };
}
pub(crate) use schema_as;

schema_as!(crate::AccountId, "AccountId", {
    "type": "string",
    "description": "A NetSuite account id: 1234567, 1234567_SB1",
    "minLength": 1
});
schema_as!(crate::Email, "Email", {"type": "string", "format": "email"});
schema_as!(crate::OptionName, "OptionName", {
    "type": "string",
    "minLength": 1,
    "maxLength": 256
});
schema_as!(crate::Level, "Level", {"type": "integer", "minimum": 1, "maximum": 5});
schema_as!(crate::TimeZone, "TimeZone", {
    "type": "string",
    "description": "An IANA time zone name: Europe/Paris"
});
schema_as!(crate::LocalTime, "LocalTime", {
    "type": "string",
    "pattern": "^[0-9]{2}:[0-9]{2}$",
    "description": "A time of day, HH:MM"
});
schema_as!(crate::Weekdays, "Weekdays", {
    "description": "The weekdays, as three-letter names (one name alone is read too)",
    "anyOf": [
        {"type": "array", "minItems": 1, "uniqueItems": true,
         "items": {"enum": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}},
        {"enum": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
    ]
});
