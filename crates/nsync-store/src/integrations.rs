//! Integrations, their encrypted credentials, and custom fields.

use nsync_core::{
    AccountId, AuthKind, CompanyId, Credentials, CustomFieldId, FieldKind, IntegrationId,
    IntegrationSettings, SubsidiaryId,
};

use crate::audit::{append_audit_in, Audit};
use crate::crypto::{credentials_aad, hook_secret_aad};
use crate::row::{id, opt_id, Cols};
use crate::store::with_pool;
use crate::{MasterKey, Store, StoreError};

/// What it takes to connect a NetSuite account.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    /// The company connecting it.
    pub company: CompanyId,
    /// The NetSuite account.
    pub account: AccountId,
    /// The integrated subsidiary; `None` for a non-OneWorld account.
    pub subsidiary: Option<SubsidiaryId>,
    /// Credentials (sealed under the master key before they reach the database).
    pub credentials: Credentials,
    /// Settings.
    pub settings: IntegrationSettings,
    /// The name of the integrated custom field created with it.
    pub field_name: String,
}

/// An integration as stored (credentials are read separately, with the master key).
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    /// Its id.
    pub id: IntegrationId,
    /// Its company.
    pub company: CompanyId,
    /// The NetSuite account.
    pub account: AccountId,
    /// How it authenticates.
    pub auth_kind: AuthKind,
    /// The integrated subsidiary.
    pub subsidiary: Option<SubsidiaryId>,
    /// Settings.
    pub settings: IntegrationSettings,
    /// Its integrated custom field.
    pub field: CustomFieldId,
    /// The incremental-read cursor, as the sync engine left it.
    pub cursor: Option<serde_json::Value>,
}

/// A custom field of the Items level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomField {
    /// Its id.
    pub id: CustomFieldId,
    /// Its company.
    pub company: CompanyId,
    /// Its name.
    pub name: String,
    /// Integrated or manual.
    pub kind: FieldKind,
    /// The integration feeding it, when integrated.
    pub integration: Option<IntegrationId>,
}

const SELECT_INTEGRATION: &str = "SELECT i.id, i.company_id, i.account_id, i.auth_kind, \
     i.subsidiary_id, i.settings, i.cursor, f.id AS field_id \
     FROM integrations i JOIN custom_fields f ON f.integration_id = i.id WHERE i.id = $1";

impl Store {
    /// Creates an integration and its integrated custom field, audited, in one transaction.
    pub async fn create_integration(
        &self,
        key: &MasterKey,
        new: &NewIntegration,
        audit: &Audit,
    ) -> Result<IntegrationId, StoreError> {
        let settings = serde_json::to_string(&new.settings.clone().validate()?)
            .map_err(StoreError::corrupt)?;
        // Slots of the automatic update before its creation are not owed.
        let insert = "INSERT INTO integrations (company_id, account_id, auth_kind, credentials, \
                      subsidiary_id, settings, created_at_ms, schedule_after_ms) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";
        let seal = "UPDATE integrations SET credentials = $2 WHERE id = $1";
        let field = "INSERT INTO custom_fields (company_id, name, kind, integration_id) VALUES ($1, $2, $3, $4)";
        let company = new.company.get();
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let id = sqlx::query(insert).bind(company).bind(new.account.as_str())
                .bind(new.credentials.kind().as_str()).bind(Vec::<u8>::new())
                .bind(new.subsidiary.map(SubsidiaryId::get)).bind(&settings).bind(audit.at_ms)
                .fetch_one(&mut *tx).await?.int("id")?;
            // The id is part of the associated data, so sealing waits for it.
            let sealed = key.seal(&credentials_aad(company, id), &new.credentials.to_plaintext());
            sqlx::query(seal).bind(id).bind(sealed).execute(&mut *tx).await?;
            sqlx::query(field).bind(company).bind(&new.field_name)
                .bind(FieldKind::Integrated.as_str()).bind(id).execute(&mut *tx).await?;
            append_audit_in!(&mut *tx, &audit.entry(format!("integration {id}")));
            tx.commit().await?;
            id
        });
        IntegrationId::new(id).map_err(StoreError::corrupt)
    }

    /// An integration by id.
    pub async fn integration(&self, integration: IntegrationId) -> Result<Integration, StoreError> {
        let not_found = StoreError::NotFound {
            what: "integration",
            id: integration.get(),
        };
        with_pool!(self, pool => {
            let row = sqlx::query(SELECT_INTEGRATION).bind(integration.get()).fetch_optional(pool).await?;
            integration_from_row(&row.ok_or(not_found)?)
        })
    }

    /// Replaces an integration's settings. A changed automatic update starts afresh: slots
    /// before the change are not owed (turning it on on a Wednesday does not run last Monday's).
    /// Audited.
    pub async fn update_settings(
        &self,
        integration: IntegrationId,
        settings: &IntegrationSettings,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(&settings.clone().validate()?).map_err(StoreError::corrupt)?;
        let current = "SELECT settings FROM integrations WHERE id = $1";
        let update = "UPDATE integrations SET settings = $2, \
                      schedule_after_ms = CASE WHEN $3 THEN $4 ELSE schedule_after_ms END WHERE id = $1";
        let not_found = StoreError::NotFound {
            what: "integration",
            id: integration.get(),
        };
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let row = sqlx::query(current).bind(integration.get()).fetch_optional(&mut *tx).await?.ok_or(not_found)?;
            let before: IntegrationSettings = serde_json::from_str(&row.text("settings")?).map_err(StoreError::corrupt)?;
            let restart = before.auto_update != settings.auto_update;
            sqlx::query(update).bind(integration.get()).bind(json).bind(restart).bind(audit.at_ms)
                .execute(&mut *tx).await?;
            append_audit_in!(&mut *tx, &audit.entry(format!("integration {integration}")));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Replaces an integration's credentials (sealed with a fresh nonce), audited (the kind of
    /// credentials only, never a secret).
    pub async fn set_credentials(
        &self,
        key: &MasterKey,
        integration: IntegrationId,
        credentials: &Credentials,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let company = self.integration(integration).await?.company.get();
        let sealed = key.seal(
            &credentials_aad(company, integration.get()),
            &credentials.to_plaintext(),
        );
        let sql = "UPDATE integrations SET credentials = $2, auth_kind = $3 WHERE id = $1";
        let audit = audit
            .clone()
            .with("auth_kind", credentials.kind().as_str())
            .entry(format!("integration {integration}"));
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            sqlx::query(sql).bind(integration.get()).bind(sealed)
                .bind(credentials.kind().as_str()).execute(&mut *tx).await?;
            append_audit_in!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// An integration's credentials, decrypted.
    pub async fn credentials(
        &self,
        key: &MasterKey,
        integration: IntegrationId,
    ) -> Result<Credentials, StoreError> {
        let sql = "SELECT company_id, credentials FROM integrations WHERE id = $1";
        let not_found = StoreError::NotFound {
            what: "integration",
            id: integration.get(),
        };
        let (company, sealed) = with_pool!(self, pool => {
            let row = sqlx::query(sql).bind(integration.get()).fetch_optional(pool).await?.ok_or(not_found)?;
            (row.int("company_id")?, row.bytes("credentials")?)
        });
        let plain = key
            .open(&credentials_aad(company, integration.get()), &sealed)
            .ok_or(StoreError::Decrypt(integration))?;
        Ok(Credentials::from_plaintext(&plain)?)
    }

    /// Re-encrypts every integration's credentials (and notification secret) from `old` to
    /// `new`, in one transaction: either all of them move to the new key or none does. Returns
    /// how many integrations were re-sealed.
    pub async fn rotate_master_key(
        &self,
        old: &MasterKey,
        new: &MasterKey,
    ) -> Result<u64, StoreError> {
        let select =
            "SELECT id, company_id, credentials, hook_secret FROM integrations ORDER BY id";
        let update = "UPDATE integrations SET credentials = $2, hook_secret = $3 WHERE id = $1";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let rows = sqlx::query(select).fetch_all(&mut *tx).await?;
            for row in &rows {
                let (id, company) = (row.int("id")?, row.int("company_id")?);
                let undecryptable = || StoreError::Decrypt(IntegrationId::new(id).unwrap_or_else(|_| unreachable!("stored ids are positive")));
                let aad = credentials_aad(company, id);
                let plain = old.open(&aad, &row.bytes("credentials")?).ok_or_else(undecryptable)?;
                let hook_aad = hook_secret_aad(company, id);
                let hook = match row.opt_bytes("hook_secret")? {
                    Some(sealed) => Some(new.seal(&hook_aad, &old.open(&hook_aad, &sealed).ok_or_else(undecryptable)?)),
                    None => None,
                };
                sqlx::query(update).bind(id).bind(new.seal(&aad, &plain)).bind(hook).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(rows.len() as u64)
        })
    }

    /// Creates a manual custom field (options added by hand).
    pub async fn create_manual_field(
        &self,
        company: CompanyId,
        name: &str,
    ) -> Result<CustomFieldId, StoreError> {
        let sql =
            "INSERT INTO custom_fields (company_id, name, kind) VALUES ($1, $2, $3) RETURNING id";
        let id = with_pool!(self, pool => sqlx::query(sql).bind(company.get()).bind(name)
            .bind(FieldKind::Manual.as_str()).fetch_one(pool).await?.int("id")?);
        CustomFieldId::new(id).map_err(StoreError::corrupt)
    }

    /// The integrations of a company, oldest first.
    pub async fn integrations_of(
        &self,
        company: CompanyId,
    ) -> Result<Vec<Integration>, StoreError> {
        let sql =
            SELECT_INTEGRATION.replace("WHERE i.id = $1", "WHERE i.company_id = $1 ORDER BY i.id");
        with_pool!(self, pool => {
            sqlx::query(&sql).bind(company.get()).fetch_all(pool).await?
                .iter().map(integration_from_row).collect()
        })
    }

    /// The custom fields of a company, oldest first.
    pub async fn fields_of(&self, company: CompanyId) -> Result<Vec<CustomField>, StoreError> {
        let sql = "SELECT id, company_id, name, kind, integration_id FROM custom_fields \
                   WHERE company_id = $1 ORDER BY id";
        with_pool!(self, pool => {
            sqlx::query(sql).bind(company.get()).fetch_all(pool).await?
                .iter().map(field_from_row).collect()
        })
    }

    /// A custom field by id.
    pub async fn field(&self, field: CustomFieldId) -> Result<CustomField, StoreError> {
        let sql =
            "SELECT id, company_id, name, kind, integration_id FROM custom_fields WHERE id = $1";
        let not_found = StoreError::NotFound {
            what: "custom field",
            id: field.get(),
        };
        with_pool!(self, pool => {
            let row = sqlx::query(sql).bind(field.get()).fetch_optional(pool).await?.ok_or(not_found)?;
            field_from_row(&row)
        })
    }
}

fn field_from_row(row: &impl Cols) -> Result<CustomField, StoreError> {
    Ok(CustomField {
        id: id(row, "id")?,
        company: id(row, "company_id")?,
        name: row.text("name")?,
        kind: FieldKind::parse(&row.text("kind")?)?,
        integration: opt_id(row, "integration_id")?,
    })
}

fn integration_from_row(row: &impl Cols) -> Result<Integration, StoreError> {
    let cursor = row
        .opt_text("cursor")?
        .map(|c| serde_json::from_str(&c))
        .transpose()
        .map_err(StoreError::corrupt)?;
    Ok(Integration {
        id: id(row, "id")?,
        company: id(row, "company_id")?,
        account: AccountId::parse(&row.text("account_id")?).map_err(StoreError::corrupt)?,
        auth_kind: AuthKind::parse(&row.text("auth_kind")?).map_err(StoreError::corrupt)?,
        subsidiary: opt_id(row, "subsidiary_id")?,
        settings: serde_json::from_str(&row.text("settings")?).map_err(StoreError::corrupt)?,
        field: id(row, "field_id")?,
        cursor,
    })
}
