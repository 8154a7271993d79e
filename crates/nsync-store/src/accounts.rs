//! Companies, users (argon2 password hashes) and API tokens (stored as SHA-256 hashes).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use nsync_core::{CompanyId, Email, Role, TimeZone, TokenId, UserId};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::audit::{append_audit_in, Audit};
use crate::row::{id, opt_id, Cols};
use crate::store::with_pool;
use crate::{Store, StoreError};

/// A company (tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Its id.
    pub id: CompanyId,
    /// Its name.
    pub name: String,
    /// Its time zone (for the automatic update).
    pub time_zone: TimeZone,
}

/// A user, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its company.
    pub company: CompanyId,
    /// Its email (lower case).
    pub email: Email,
    /// Admin or member.
    pub role: Role,
    /// The generation of the user's sessions: a session issued under another one has ended.
    pub session_generation: i64,
}

/// A freshly created API token: the only time its secret is visible.
#[derive(Debug)]
pub struct NewApiToken {
    /// Its id (to list or revoke it).
    pub id: TokenId,
    /// The bearer secret; only its SHA-256 is stored.
    pub secret: SecretString,
}

/// Whom a valid API token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    /// The token.
    pub token: TokenId,
    /// Its company.
    pub company: CompanyId,
    /// The user it was made for, if any.
    pub user: Option<UserId>,
}

impl Store {
    /// Creates a company, made at `now_ms`.
    pub async fn create_company(
        &self,
        name: &str,
        time_zone: &TimeZone,
        now_ms: i64,
    ) -> Result<CompanyId, StoreError> {
        let sql = "INSERT INTO companies (name, time_zone, created_at_ms) VALUES ($1, $2, $3) RETURNING id";
        let row = with_pool!(self, pool => {
            let row = sqlx::query(sql).bind(name).bind(time_zone.as_str()).bind(now_ms).fetch_one(pool).await?;
            row.int("id")?
        });
        CompanyId::new(row).map_err(StoreError::corrupt)
    }

    /// A company by id.
    pub async fn company(&self, company: CompanyId) -> Result<Company, StoreError> {
        let sql = "SELECT id, name, time_zone FROM companies WHERE id = $1";
        let found = with_pool!(self, pool => {
            match sqlx::query(sql).bind(company.get()).fetch_optional(pool).await? {
                None => None,
                Some(row) => Some((row.text("name")?, row.text("time_zone")?)),
            }
        });
        let (name, tz) = found.ok_or(StoreError::NotFound {
            what: "company",
            id: company.get(),
        })?;
        Ok(Company {
            id: company,
            name,
            time_zone: TimeZone::parse(&tz).map_err(StoreError::corrupt)?,
        })
    }

    /// Creates a user with an argon2 hash of `password`, made at `now_ms`.
    pub async fn create_user(
        &self,
        company: CompanyId,
        email: &Email,
        password: &SecretString,
        role: Role,
        now_ms: i64,
    ) -> Result<UserId, StoreError> {
        let hash = hash_password(password)?;
        let sql = "INSERT INTO users (company_id, email, password_hash, role, created_at_ms) \
                   VALUES ($1, $2, $3, $4, $5) RETURNING id";
        let id = with_pool!(self, pool => {
            sqlx::query(sql).bind(company.get()).bind(email.as_str()).bind(&hash)
                .bind(role.as_str()).bind(now_ms).fetch_one(pool).await?.int("id")?
        });
        UserId::new(id).map_err(StoreError::corrupt)
    }

    /// The user with this email, if `password` is theirs. Unknown email and wrong password
    /// both give `None`, so callers cannot tell them apart by accident.
    pub async fn verify_password(
        &self,
        email: &Email,
        password: &SecretString,
    ) -> Result<Option<User>, StoreError> {
        let sql = "SELECT id, company_id, email, password_hash, role, session_generation FROM users WHERE email = $1";
        let found = with_pool!(self, pool => {
            match sqlx::query(sql).bind(email.as_str()).fetch_optional(pool).await? {
                None => None,
                Some(row) => Some((user_from_row(&row)?, row.text("password_hash")?)),
            }
        });
        let Some((user, hash)) = found else {
            // Spend the same argon2 time as a real check, so response times do not tell which
            // emails have accounts.
            let _ = hash_password(password);
            return Ok(None);
        };
        let parsed = PasswordHash::new(&hash).map_err(StoreError::corrupt)?;
        let ok = Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok();
        Ok(ok.then_some(user))
    }

    /// Ends every session of a user (in every process: each request compares its session's
    /// generation with this row's).
    pub async fn end_sessions(&self, user: UserId) -> Result<(), StoreError> {
        let sql = "UPDATE users SET session_generation = session_generation + 1 WHERE id = $1";
        let done = with_pool!(self, pool => sqlx::query(sql).bind(user.get()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                id: user.get(),
            });
        }
        Ok(())
    }

    /// Ends every session of every user of a company ("sign out everywhere"), audited; returns
    /// how many users that was.
    pub async fn end_company_sessions(
        &self,
        company: CompanyId,
        audit: &Audit,
    ) -> Result<u64, StoreError> {
        let sql =
            "UPDATE users SET session_generation = session_generation + 1 WHERE company_id = $1";
        Ok(with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let users = sqlx::query(sql).bind(company.get()).execute(&mut *tx).await?.rows_affected();
            append_audit_in!(&mut *tx, &audit.clone().with("users", users).entry(format!("company {company}")));
            tx.commit().await?;
            users
        }))
    }

    /// Replaces a user's password and ends every session of theirs, in one statement, audited.
    pub async fn set_password(
        &self,
        user: UserId,
        password: &SecretString,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let hash = hash_password(password)?;
        let sql =
            "UPDATE users SET password_hash = $2, session_generation = session_generation + 1 \
                   WHERE id = $1";
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let done = sqlx::query(sql).bind(user.get()).bind(&hash).execute(&mut *tx).await?.rows_affected();
            if done > 0 {
                append_audit_in!(&mut *tx, &audit.entry(format!("user {user}")));
                tx.commit().await?;
            }
            done
        });
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                id: user.get(),
            });
        }
        Ok(())
    }

    /// Creates an API token for a company (and optionally a user), audited; returns its secret
    /// once.
    pub async fn create_api_token(
        &self,
        company: CompanyId,
        user: Option<UserId>,
        name: &str,
        audit: &Audit,
    ) -> Result<NewApiToken, StoreError> {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let secret = format!(
            "nsync_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        );
        let sql =
            "INSERT INTO api_tokens (company_id, user_id, name, token_sha256, created_at_ms) \
                   VALUES ($1, $2, $3, $4, $5) RETURNING id";
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let id = sqlx::query(sql).bind(company.get()).bind(user.map(UserId::get)).bind(name)
                .bind(token_hash(&secret)).bind(audit.at_ms).fetch_one(&mut *tx).await?.int("id")?;
            append_audit_in!(&mut *tx, &audit.entry(format!("token {id}")));
            tx.commit().await?;
            id
        });
        Ok(NewApiToken {
            id: TokenId::new(id).map_err(StoreError::corrupt)?,
            secret: secret.into(),
        })
    }

    /// Whom `secret` speaks for, if it is a live token.
    pub async fn authenticate_token(
        &self,
        secret: &SecretString,
    ) -> Result<Option<TokenOwner>, StoreError> {
        let sql = "SELECT id, company_id, user_id FROM api_tokens \
                   WHERE token_sha256 = $1 AND revoked_at_ms IS NULL";
        let hash = token_hash(secret.expose_secret());
        with_pool!(self, pool => {
            match sqlx::query(sql).bind(hash).fetch_optional(pool).await? {
                None => Ok(None),
                Some(row) => Ok(Some(TokenOwner {
                    token: id(&row, "id")?,
                    company: id(&row, "company_id")?,
                    user: opt_id(&row, "user_id")?,
                })),
            }
        })
    }

    /// A user by id.
    pub async fn user(&self, user: UserId) -> Result<User, StoreError> {
        let sql = "SELECT id, company_id, email, role, session_generation FROM users WHERE id = $1";
        let not_found = StoreError::NotFound {
            what: "user",
            id: user.get(),
        };
        with_pool!(self, pool => {
            let row = sqlx::query(sql).bind(user.get()).fetch_optional(pool).await?.ok_or(not_found)?;
            user_from_row(&row)
        })
    }

    /// The company a token (live or revoked) belongs to, if the token exists: lets the HTTP
    /// layer answer "not found" for another company's token.
    pub async fn api_token_company(&self, token: TokenId) -> Result<Option<CompanyId>, StoreError> {
        let sql = "SELECT company_id FROM api_tokens WHERE id = $1";
        with_pool!(self, pool => {
            match sqlx::query(sql).bind(token.get()).fetch_optional(pool).await? {
                None => Ok(None),
                Some(row) => Ok(Some(id(&row, "company_id")?)),
            }
        })
    }

    /// Revokes a token, audited; it stops authenticating at once.
    pub async fn revoke_api_token(&self, token: TokenId, audit: &Audit) -> Result<(), StoreError> {
        let sql =
            "UPDATE api_tokens SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            sqlx::query(sql).bind(token.get()).bind(audit.at_ms).execute(&mut *tx).await?;
            append_audit_in!(&mut *tx, &audit.entry(format!("token {token}")));
            tx.commit().await?;
        });
        Ok(())
    }
}

fn user_from_row(row: &impl Cols) -> Result<User, StoreError> {
    Ok(User {
        id: id(row, "id")?,
        company: id(row, "company_id")?,
        email: Email::parse(&row.text("email")?).map_err(StoreError::corrupt)?,
        role: Role::parse(&row.text("role")?).map_err(StoreError::corrupt)?,
        session_generation: row.int("session_generation")?,
    })
}

fn hash_password(password: &SecretString) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::PasswordHash(e.to_string()))
}

/// Tokens are long random strings, so a fast unsalted hash is enough to make a database
/// leak useless without slowing every API request down.
fn token_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
