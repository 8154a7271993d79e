//! Applies one [`Mutation`] in one transaction, checking NetSuite's rules in strict mode.

use crate::load::{customer_altname, entity_title, tf};
use crate::time::to_storage;
use crate::{
    Applied, Mode, Mutation, MutationError, NewCustomer, NewProject, PersonName, RecordKind,
    SchemaOptions, Stage, COMPANY_NAME_MAX, PROJECT_NAME_MAX,
};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

mod subsidiary;
mod tree;
mod update;

/// The status a new project gets: In Progress.
const IN_PROGRESS: i64 = 2;

/// Whether `status` is one of the account's statuses: `Some(Some(stage))` for a customer
/// status, `Some(None)` for a project status, `None` when unknown.
fn status_stage(status: i64) -> Option<Option<Stage>> {
    crate::CUSTOMER_STATUSES
        .iter()
        .chain(crate::PROJECT_STATUSES)
        .find(|s| s.key == status)
        .map(|s| s.stage)
}

/// NetSuite's limit on first, middle and last names.
const PERSON_NAME_MAX: usize = 32;

type R<T> = Result<T, MutationError>;

struct Ctx<'a> {
    /// The open transaction (or savepoint) the change runs in.
    tx: &'a Connection,
    opts: &'a SchemaOptions,
    now: String,
    strict: bool,
}

pub(crate) fn apply(
    conn: &mut Connection,
    opts: &SchemaOptions,
    change: Mutation,
    now: DateTime<Utc>,
    mode: Mode,
) -> R<Applied> {
    let tx = conn.transaction()?;
    let applied = apply_in(&tx, opts, change, &to_storage(now), mode)?;
    tx.commit()?;
    Ok(applied)
}

/// Applies `changes` in order in one transaction, each in its own savepoint: a change that
/// breaks a rule is undone alone and reported in its slot, the others stay. One commit for
/// all of them is what makes a churn over thousands of accounts quick.
pub(crate) fn apply_each(
    conn: &mut Connection,
    opts: &SchemaOptions,
    changes: Vec<Mutation>,
    now: DateTime<Utc>,
    mode: Mode,
) -> R<Vec<R<Applied>>> {
    let now = to_storage(now);
    let mut tx = conn.transaction()?;
    let mut results = Vec::with_capacity(changes.len());
    for change in changes {
        let savepoint = tx.savepoint()?;
        let result = apply_in(&savepoint, opts, change, &now, mode);
        if result.is_ok() {
            savepoint.commit()?;
        }
        // A savepoint dropped without commit rolls back.
        results.push(result);
    }
    tx.commit()?;
    Ok(results)
}

fn apply_in(
    tx: &Connection,
    opts: &SchemaOptions,
    change: Mutation,
    now: &str,
    mode: Mode,
) -> R<Applied> {
    let ctx = Ctx {
        tx,
        opts,
        now: now.to_owned(),
        strict: mode == Mode::Strict,
    };
    let id = match change {
        Mutation::CreateCustomer(c) => ctx.create_customer(c)?,
        Mutation::CreateProject(p) => ctx.create_project(p)?,
        Mutation::Rename { kind, id, name } => ctx.rename(kind, id, &name)?,
        Mutation::RenamePerson { id, name } => ctx.rename_person(id, &name)?,
        Mutation::SetInactive { kind, id, inactive } => {
            ctx.touch(kind, id, "isinactive = ?2", tf(inactive))?;
            id
        }
        Mutation::Move { kind, id, parent } => ctx.move_to(kind, id, parent)?,
        Mutation::Delete { kind, id } => ctx.delete(kind, id)?,
        Mutation::LinkSubsidiary {
            customer,
            subsidiary,
        } => ctx.link(customer, subsidiary, false)?,
        Mutation::UnlinkSubsidiary {
            customer,
            subsidiary,
        } => ctx.unlink(customer, subsidiary)?,
        Mutation::SetPrimarySubsidiary {
            customer,
            subsidiary,
        } => ctx.link(customer, subsidiary, true)?,
        Mutation::Convert { id, stage } => ctx.convert(id, stage)?,
        Mutation::SetStatus { kind, id, status } => ctx.set_status(kind, id, status)?,
        Mutation::SetProjectSubsidiary {
            project,
            subsidiary,
        } => {
            ctx.check_subsidiary(Some(subsidiary))?;
            ctx.touch(RecordKind::Project, project, "subsidiary = ?2", subsidiary)?;
            project
        }
        Mutation::SetSubsidiaryInactive {
            subsidiary,
            inactive,
        } => ctx.set_subsidiary_inactive(subsidiary, inactive)?,
        Mutation::DeleteSubsidiary { subsidiary } => ctx.delete_subsidiary(subsidiary)?,
    };
    Ok(Applied { id })
}

/// NetSuite's name rules: present, no control characters, within the limit.
fn check_name(field: &'static str, name: &str, max: usize) -> R<()> {
    if name.trim().is_empty() {
        return Err(MutationError::Missing(field));
    }
    if name.chars().any(char::is_control) {
        return Err(MutationError::BadCharacters(field));
    }
    if name.chars().count() > max {
        return Err(MutationError::TooLong { field, max });
    }
    Ok(())
}

fn table(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Customer => "customer",
        RecordKind::Project => "job",
    }
}

impl Ctx<'_> {
    fn kind_of(&self, id: i64) -> R<Option<RecordKind>> {
        if self.exists("customer", id)? {
            return Ok(Some(RecordKind::Customer));
        }
        Ok(self.exists("job", id)?.then_some(RecordKind::Project))
    }

    fn exists(&self, table: &str, id: i64) -> R<bool> {
        let sql = format!("SELECT 1 FROM {table} WHERE id = ?1");
        Ok(self
            .tx
            .query_row(&sql, [id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn next_entity_id(&self) -> R<i64> {
        let sql = "SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM customer UNION ALL SELECT MAX(id) FROM job
                   UNION ALL SELECT MAX(recordid) FROM deletedrecord)";
        Ok(self
            .tx
            .query_row(sql, [], |r| r.get::<_, Option<i64>>(0))?
            .unwrap_or(100)
            + 1)
    }

    /// The root customer above `parent` (itself when top-level).
    fn top_of(&self, parent: i64) -> R<i64> {
        let sql = "SELECT toplevelparent FROM customer WHERE id = ?1 UNION ALL SELECT toplevelparent FROM job WHERE id = ?1";
        Ok(self
            .tx
            .query_row(sql, [parent], |r| r.get::<_, Option<i64>>(0))
            .optional()?
            .flatten()
            .unwrap_or(parent))
    }

    fn check_subsidiary(&self, sub: Option<i64>) -> R<()> {
        if !self.opts.one_world {
            return Err(MutationError::FeatureDisabled("OneWorld"));
        }
        if !self.strict {
            return Ok(());
        }
        let Some(sub) = sub else {
            return Err(MutationError::Missing("subsidiary"));
        };
        let elim: Option<String> = self
            .tx
            .query_row(
                "SELECT iselimination FROM subsidiary WHERE id = ?1",
                [sub],
                |r| r.get(0),
            )
            .optional()?;
        match elim.as_deref() {
            Some("F") => Ok(()),
            _ => Err(MutationError::InvalidReference {
                field: "subsidiary",
                value: sub.to_string(),
            }),
        }
    }

    fn check_parent(&self, parent: i64, allowed: &[RecordKind]) -> R<()> {
        if self.strict && !self.kind_of(parent)?.is_some_and(|k| allowed.contains(&k)) {
            return Err(MutationError::InvalidReference {
                field: "parent",
                value: parent.to_string(),
            });
        }
        Ok(())
    }

    fn create_customer(&self, c: NewCustomer) -> R<i64> {
        if self.strict {
            match (&c.company_name, &c.person) {
                (_, Some(p)) => self.check_person(p)?,
                (Some(name), None) => check_name("companyname", name, COMPANY_NAME_MAX)?,
                (None, None) => return Err(MutationError::Missing("companyname")),
            }
        }
        if let Some(p) = c.parent {
            self.check_parent(p, &[RecordKind::Customer])?;
        }
        let sub = if self.opts.one_world {
            self.check_subsidiary(c.subsidiary)?;
            c.subsidiary
        } else {
            None
        };
        let id = match c.id {
            Some(id) => id,
            None => self.next_entity_id()?,
        };
        let entity_id = c.entity_id.unwrap_or_else(|| format!("CUS{id}"));
        let person = c.person.as_ref();
        let alt = customer_altname(
            c.company_name.as_deref(),
            person.map(|p| p.first.as_str()),
            person.and_then(|p| p.middle.as_deref()),
            person.map(|p| p.last.as_str()),
            person.is_some(),
        );
        let top = c.parent.map(|p| self.top_of(p)).transpose()?.unwrap_or(id);
        let stage = c.stage.unwrap_or(Stage::Customer);
        let status = c.status.unwrap_or(stage.default_status());
        if self.strict && status_stage(status) != Some(Some(stage)) {
            return Err(MutationError::InvalidReference {
                field: "entitystatus",
                value: status.to_string(),
            });
        }
        self.tx.execute(
            "INSERT INTO customer (id, entityid, companyname, altname, entitytitle, isperson, firstname, middlename,
             lastname, isinactive, parent, subsidiary, searchstage, entitystatus, datecreated, lastmodifieddate,
             toplevelparent)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?15,?16)",
            params![
                id, entity_id, c.company_name.filter(|_| person.is_none()), alt, entity_title(&entity_id, &alt),
                tf(person.is_some()), person.map(|p| &p.first), person.and_then(|p| p.middle.as_ref()),
                person.map(|p| &p.last), tf(c.is_inactive), c.parent, sub, stage.text(), status, self.now, top
            ],
        )?;
        if let Some(sub) = sub {
            self.insert_link(id, sub, true)?;
        }
        Ok(id)
    }

    fn check_person(&self, p: &PersonName) -> R<()> {
        check_name("firstname", &p.first, PERSON_NAME_MAX)?;
        check_name("lastname", &p.last, PERSON_NAME_MAX)?;
        match &p.middle {
            Some(m) if !m.is_empty() => check_name("middlename", m, PERSON_NAME_MAX),
            _ => Ok(()),
        }
    }

    fn create_project(&self, p: NewProject) -> R<i64> {
        if !self.opts.projects_enabled {
            return Err(MutationError::FeatureDisabled("Projects"));
        }
        if self.strict {
            check_name("companyname", &p.name, PROJECT_NAME_MAX)?;
        }
        self.check_parent(p.parent, &[RecordKind::Customer, RecordKind::Project])?;
        let parent_sub: Option<i64> = self
            .tx
            .query_row(
                "SELECT subsidiary FROM customer WHERE id = ?1 UNION ALL SELECT subsidiary FROM job WHERE id = ?1",
                [p.parent],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let sub = if self.opts.one_world {
            let sub = p.subsidiary.or(parent_sub);
            self.check_subsidiary(sub)?;
            sub
        } else {
            None
        };
        let id = match p.id {
            Some(id) => id,
            None => self.next_entity_id()?,
        };
        let entity_id = p.entity_id.unwrap_or_else(|| format!("PRJ{id}"));
        let top = self.top_of(p.parent)?;
        let status = p.status.unwrap_or(IN_PROGRESS);
        if self.strict && status_stage(status) != Some(None) {
            return Err(MutationError::InvalidReference {
                field: "entitystatus",
                value: status.to_string(),
            });
        }
        self.tx.execute(
            "INSERT INTO job (id, entityid, companyname, altname, entitytitle, parent, customer, subsidiary, isinactive,
             entitystatus, datecreated, lastmodifieddate, toplevelparent) VALUES (?1,?2,?3,?3,?4,?5,?6,?7,?8,?9,?10,?10,?6)",
            params![id, entity_id, p.name, entity_title(&entity_id, &p.name), p.parent, top, sub, tf(p.is_inactive), status, self.now],
        )?;
        Ok(id)
    }
}
