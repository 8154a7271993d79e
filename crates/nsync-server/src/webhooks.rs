//! Outbound webhooks, as the Standard Webhooks specification lays them out
//! (<https://www.standardwebhooks.com/>): thin events (`field.changed`, `run.failed`,
//! `run.needs_confirmation`) posted to the endpoints an administrator registered, signed with
//! HMAC-SHA256, delivered at least once and in order per endpoint by whichever worker holds the
//! endpoint's lease, retried with exponential backoff and jitter for up to 3 days.
//!
//! The events and their deliveries are written by the store in the transaction of what they
//! announce; this module signs, guards the destination and sends.

mod deliver;
mod destination;
mod sign;

pub use deliver::{Deliverer, DeliveryConfig};
pub use destination::{check_destination, DestinationError, WebhookPolicy};
pub use sign::{new_secret, signature_header, SecretError};
