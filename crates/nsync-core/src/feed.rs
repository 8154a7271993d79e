//! What the procurement app hears: the change feed's cursor and the webhook events.

use std::fmt;
use std::str::FromStr;

use crate::option::text_enum;
use crate::CustomFieldId;

text_enum!(
    /// What a webhook event announces. Events are thin: they say what happened and where to
    /// read it (the feed's cursor range), not the changes themselves.
    WebhookEvent, "webhook event type" {
        /// A run or an administrator's action changed the field's options.
        FieldChanged = "field.changed",
        /// A run failed.
        RunFailed = "run.failed",
        /// An update is held: it would deactivate too much and waits for confirmation.
        RunNeedsConfirmation = "run.needs_confirmation",
    }
);

impl WebhookEvent {
    /// Every event type, in the order they are documented.
    pub const ALL: [Self; 3] = [
        Self::FieldChanged,
        Self::RunFailed,
        Self::RunNeedsConfirmation,
    ];
}

/// A position in a field's change feed: after entry `seq` of field `field`. Written as 32
/// lowercase hex digits, which readers are told to treat as opaque, so the form can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor {
    /// The field whose feed it is.
    pub field: CustomFieldId,
    /// The last entry read (0 before the first).
    pub seq: i64,
}

impl fmt::Display for FeedCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}{:016x}", self.field.get(), self.seq)
    }
}

impl FromStr for FeedCursor {
    type Err = crate::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || crate::Error::UnknownValue {
            what: "change feed cursor",
            value: text.chars().take(64).collect(),
        };
        if text.len() != 32 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad());
        }
        let field = i64::from_str_radix(&text[..16], 16).map_err(|_| bad())?;
        let seq = i64::from_str_radix(&text[16..], 16).map_err(|_| bad())?;
        if seq < 0 {
            return Err(bad());
        }
        Ok(Self {
            field: CustomFieldId::new(field).map_err(|_| bad())?,
            seq,
        })
    }
}
