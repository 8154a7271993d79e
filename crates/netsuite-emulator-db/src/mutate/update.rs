//! Changes to records that exist: stage conversions, statuses, renames, and the names that
//! follow a customer's rename.

use rusqlite::{params, OptionalExtension};

use super::{check_name, status_stage, table, Ctx, R};
use crate::load::customer_altname;
use crate::{MutationError, PersonName, RecordKind, Stage, COMPANY_NAME_MAX, PROJECT_NAME_MAX};

impl Ctx<'_> {
    pub(super) fn stage_of(&self, id: i64) -> R<Stage> {
        let text: Option<Option<String>> = self
            .tx
            .query_row(
                "SELECT searchstage FROM customer WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let text = text.ok_or(MutationError::NotFound)?;
        Ok(match text.as_deref() {
            Some("Lead") => Stage::Lead,
            Some("Prospect") => Stage::Prospect,
            _ => Stage::Customer,
        })
    }

    pub(super) fn convert(&self, id: i64, stage: Stage) -> R<i64> {
        let now = self.stage_of(id)?;
        if self.strict && stage.rank() < now.rank() {
            return Err(MutationError::InvalidReference {
                field: "stage",
                value: stage.text().to_owned(),
            });
        }
        let sql = "UPDATE customer SET searchstage = ?2, entitystatus = ?4, lastmodifieddate = ?3 WHERE id = ?1";
        self.tx.execute(
            sql,
            params![id, stage.text(), self.now, stage.default_status()],
        )?;
        Ok(id)
    }

    pub(super) fn set_status(&self, kind: RecordKind, id: i64, status: i64) -> R<i64> {
        let known = status_stage(status);
        let fits = match kind {
            RecordKind::Customer => matches!(known, Some(Some(_))),
            RecordKind::Project => known == Some(None),
        };
        if self.strict && !fits {
            return Err(MutationError::InvalidReference {
                field: "entitystatus",
                value: status.to_string(),
            });
        }
        match (kind, known) {
            (RecordKind::Customer, Some(Some(stage))) => {
                let now = self.stage_of(id)?;
                if self.strict && stage.rank() < now.rank() {
                    return Err(MutationError::InvalidReference {
                        field: "entitystatus",
                        value: status.to_string(),
                    });
                }
                self.touch(
                    kind,
                    id,
                    &format!("entitystatus = ?2, searchstage = '{}'", stage.text()),
                    status,
                )?;
            }
            _ => self.touch(kind, id, "entitystatus = ?2", status)?,
        }
        Ok(id)
    }

    /// Sets `assignment` (with `?2` = `value`) and bumps `lastmodifieddate`; 404 when missing.
    pub(super) fn touch(
        &self,
        kind: RecordKind,
        id: i64,
        assignment: &str,
        value: impl rusqlite::ToSql,
    ) -> R<()> {
        let sql = format!(
            "UPDATE {} SET {assignment}, lastmodifieddate = ?3 WHERE id = ?1",
            table(kind)
        );
        match self.tx.execute(&sql, params![id, value, self.now])? {
            0 => Err(MutationError::NotFound),
            _ => Ok(()),
        }
    }

    pub(super) fn rename(&self, kind: RecordKind, id: i64, name: &str) -> R<i64> {
        let max = if kind == RecordKind::Customer {
            COMPANY_NAME_MAX
        } else {
            PROJECT_NAME_MAX
        };
        if self.strict {
            check_name("companyname", name, max)?;
        }
        let sql = format!(
            "UPDATE {} SET companyname = ?2, altname = ?2, entitytitle = entityid || ' ' || ?2, lastmodifieddate = ?3
             WHERE id = ?1{}",
            table(kind),
            if kind == RecordKind::Customer { " AND isperson = 'F'" } else { "" }
        );
        if self.tx.execute(&sql, params![id, name, self.now])? == 0 {
            return Err(MutationError::NotFound);
        }
        self.refresh_link_names(id)?;
        Ok(id)
    }

    pub(super) fn rename_person(&self, id: i64, p: &PersonName) -> R<i64> {
        if self.strict {
            self.check_person(p)?;
        }
        let alt = customer_altname(
            None,
            Some(&p.first),
            p.middle.as_deref(),
            Some(&p.last),
            true,
        );
        let sql = "UPDATE customer SET firstname = ?2, middlename = ?3, lastname = ?4, altname = ?5,
                   entitytitle = entityid || ' ' || ?5, lastmodifieddate = ?6 WHERE id = ?1 AND isperson = 'T'";
        if self
            .tx
            .execute(sql, params![id, p.first, p.middle, p.last, alt, self.now])?
            == 0
        {
            return Err(MutationError::NotFound);
        }
        self.refresh_link_names(id)?;
        Ok(id)
    }

    pub(super) fn refresh_link_names(&self, customer: i64) -> R<()> {
        self.tx.execute(
            "UPDATE customersubsidiaryrelationship SET name = (SELECT entitytitle FROM customer WHERE id = ?1)
             WHERE entity = ?1",
            [customer],
        )?;
        Ok(())
    }
}
