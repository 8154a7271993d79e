//! Changes to the shape of the data: moves, deletes and subsidiary links.

use super::{table, Ctx, R};
use crate::{MutationError, RecordKind};
use rusqlite::{params, OptionalExtension};

/// Every entity below `id` (and `id` itself), through `parent` links.
const SUBTREE: &str = "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION SELECT e.id FROM entity e JOIN sub ON e.parent = sub.id)";

impl Ctx<'_> {
    pub(super) fn move_to(&self, kind: RecordKind, id: i64, parent: Option<i64>) -> R<i64> {
        if !self.exists(table(kind), id)? {
            return Err(MutationError::NotFound);
        }
        match (kind, parent) {
            (RecordKind::Project, None) if self.strict => {
                return Err(MutationError::Missing("parent"));
            }
            (RecordKind::Customer, Some(p)) => self.check_parent(p, &[RecordKind::Customer])?,
            (RecordKind::Project, Some(p)) => {
                self.check_parent(p, &[RecordKind::Customer, RecordKind::Project])?
            }
            _ => {}
        }
        if let Some(p) = parent {
            let sql = format!("{SUBTREE} SELECT 1 FROM sub WHERE id = ?2");
            let inside = self
                .tx
                .query_row(&sql, [id, p], |_| Ok(()))
                .optional()?
                .is_some();
            if inside && self.strict {
                return Err(MutationError::Cycle);
            }
        }
        self.touch(kind, id, "parent = ?2", parent)?;
        // Keep `toplevelparent` (and `job.customer`) true for the whole moved subtree.
        let top = parent.map(|p| self.top_of(p)).transpose()?.unwrap_or(id);
        for t in ["customer", "job"] {
            let sql = format!(
                "{SUBTREE} UPDATE {t} SET toplevelparent = ?2 WHERE id IN (SELECT id FROM sub)"
            );
            self.tx.execute(&sql, [id, top])?;
        }
        let sql =
            format!("{SUBTREE} UPDATE job SET customer = ?2 WHERE id IN (SELECT id FROM sub)");
        self.tx.execute(&sql, [id, top])?;
        Ok(id)
    }

    pub(super) fn delete(&self, kind: RecordKind, id: i64) -> R<i64> {
        let t = table(kind);
        let name: Option<Option<String>> = self
            .tx
            .query_row(
                &format!("SELECT altname FROM {t} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(name) = name else {
            return Err(MutationError::NotFound);
        };
        let children: i64 = self.tx.query_row(
            "SELECT (SELECT COUNT(*) FROM customer WHERE parent = ?1) + (SELECT COUNT(*) FROM job WHERE parent = ?1)",
            [id],
            |r| r.get(0),
        )?;
        if children > 0 && self.strict {
            return Err(MutationError::HasDependents);
        }
        self.tx
            .execute(&format!("DELETE FROM {t} WHERE id = ?1"), [id])?;
        if kind == RecordKind::Customer {
            self.tx.execute(
                "DELETE FROM customersubsidiaryrelationship WHERE entity = ?1",
                [id],
            )?;
        }
        self.tx.execute(
            "INSERT INTO deletedrecord (recordid, recordtypeid, type, name, deleteddate, context, iscustomlist, iscustomrecord)
             VALUES (?1, ?2, ?3, ?4, ?5, 'UI', 'F', 'F')",
            params![id, kind.type_id(), kind.label(), name, self.now],
        )?;
        Ok(id)
    }

    pub(super) fn insert_link(&self, customer: i64, subsidiary: i64, primary: bool) -> R<()> {
        let next: i64 = self.tx.query_row(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM customersubsidiaryrelationship",
            [],
            |r| r.get(0),
        )?;
        self.tx.execute(
            "INSERT INTO customersubsidiaryrelationship (id, entity, subsidiary, isprimarysub, name, lastmodifieddate)
             VALUES (?1, ?2, ?3, ?4, (SELECT entitytitle FROM customer WHERE id = ?2), ?5)",
            params![next, customer, subsidiary, crate::load::tf(primary), self.now],
        )?;
        Ok(())
    }

    fn link_id(&self, customer: i64, subsidiary: i64) -> R<Option<i64>> {
        let sql =
            "SELECT id FROM customersubsidiaryrelationship WHERE entity = ?1 AND subsidiary = ?2";
        Ok(self
            .tx
            .query_row(sql, [customer, subsidiary], |r| r.get(0))
            .optional()?)
    }

    /// Adds a link (or makes it the primary one); the customer's `lastmodifieddate` moves too.
    pub(super) fn link(&self, customer: i64, subsidiary: i64, primary: bool) -> R<i64> {
        self.check_subsidiary(Some(subsidiary))?;
        if !self.exists("customer", customer)? {
            return Err(MutationError::NotFound);
        }
        if primary {
            let sql = "UPDATE customersubsidiaryrelationship SET isprimarysub = 'F', lastmodifieddate = ?2
                       WHERE entity = ?1 AND isprimarysub = 'T'";
            self.tx.execute(sql, params![customer, self.now])?;
            self.touch(
                RecordKind::Customer,
                customer,
                "subsidiary = ?2",
                subsidiary,
            )?;
        } else {
            self.bump_customer(customer)?;
        }
        match self.link_id(customer, subsidiary)? {
            Some(link) => {
                let sql = "UPDATE customersubsidiaryrelationship SET isprimarysub = ?2, lastmodifieddate = ?3 WHERE id = ?1";
                let flag = if primary { "T" } else { "F" };
                if primary || !self.strict {
                    self.tx.execute(sql, params![link, flag, self.now])?;
                }
            }
            None => self.insert_link(customer, subsidiary, primary)?,
        }
        Ok(customer)
    }

    fn bump_customer(&self, customer: i64) -> R<()> {
        self.tx.execute(
            "UPDATE customer SET lastmodifieddate = ?2 WHERE id = ?1",
            params![customer, self.now],
        )?;
        Ok(())
    }

    pub(super) fn unlink(&self, customer: i64, subsidiary: i64) -> R<i64> {
        if !self.opts.one_world {
            return Err(MutationError::FeatureDisabled("OneWorld"));
        }
        let Some(link) = self.link_id(customer, subsidiary)? else {
            return Err(MutationError::NotFound);
        };
        let primary: String = self.tx.query_row(
            "SELECT isprimarysub FROM customersubsidiaryrelationship WHERE id = ?1",
            [link],
            |r| r.get(0),
        )?;
        if primary == "T" && self.strict {
            return Err(MutationError::InvalidReference {
                field: "subsidiary",
                value: subsidiary.to_string(),
            });
        }
        self.tx.execute(
            "DELETE FROM customersubsidiaryrelationship WHERE id = ?1",
            [link],
        )?;
        self.bump_customer(customer)?;
        Ok(customer)
    }
}
