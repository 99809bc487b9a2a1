//! Generate with AI (a topic, an audience, goals → a draft of modules, blocks, one simulation and a
//! rubric; feature `course_generation`) and Regenerate a template for a new audience (feature
//! `template_regeneration`). Both go through the credits gateway — reserve, call outside any
//! transaction, settle — and ask for a JSON object, which is then read leniently: the answer's
//! first JSON object is taken, and each module, block and criterion is kept only if it stands on
//! its own, so one bad block costs that block, not the course. With no provider configured they
//! answer `ai_unavailable`, and nothing pretends to be a model.

use lyceum_domain::credits::Feature;
use lyceum_domain::id::{TemplateId, WorkspaceId};
use lyceum_domain::learning::{Block, Content, Criterion, Module, Rubric, Settings};
use lyceum_domain::{learning, DomainError, Permission};
use serde_json::{json, Value};

use super::courses::{Course, NewCourse};
use super::store::{self, TemplateRow};
use super::templates::template_entry;
use super::Learning;
use crate::credits::gateway::AiCall;
use crate::kernel::access::workspace_access;
use crate::kernel::audit_chain::Action;
use crate::kernel::db::now_ms;
use crate::kernel::{Caller, Result, ServiceError};
use lyceum_ai::{Message, Role};

/// The most tokens a generation may answer with.
const GENERATION_MAX_TOKENS: u32 = 4_000;

/// What a course is asked to be.
#[derive(Debug, Clone)]
pub struct Brief {
    pub topic: String,
    pub audience: Option<String>,
    pub goals: Option<String>,
}

const SHAPE: &str = r#"Answer with one JSON object and nothing else, of this shape:
{"title": "...", "description": "...",
 "modules": [{"title": "...", "blocks": [
   {"kind": "slide", "markdown": "..."},
   {"kind": "quiz", "questions": [{"prompt": "...", "choices": ["...", "..."], "correct": [0]}]},
   {"kind": "simulation", "persona": {"name": "...", "role": "...", "personality": "..."},
    "scenario": "what the learner is told", "objective": "what the learner must achieve",
    "instructions": "hidden instructions for the persona", "opening_line": "...",
    "max_turns": 8, "scripted_lines": ["...", "...", "..."]}]}],
 "rubric": {"pass_mark": 70, "criteria": [{"title": "...", "description": "...", "weight": 1.0,
   "guidance": "what the learner should say or do to meet it"}]}}
Use 2 to 5 modules of slides and quizzes, exactly one simulation block, and 3 to 5 criteria whose
guidance says concretely what the learner should say or do."#;

fn unavailable(message: &str) -> ServiceError {
    ServiceError::AiUnavailable { message: message.to_owned(), retry_after: None }
}

/// The first JSON object of a model's answer (models wrap it in prose or code fences).
fn first_object(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let mut de = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    match de.next() {
        Some(Ok(v @ Value::Object(_))) => Some(v),
        _ => {
            let end = text.rfind('}')?;
            serde_json::from_str::<Value>(&text[start..=end]).ok().filter(Value::is_object)
        }
    }
}

/// Keeps only `keys` of an object (models add fields of their own).
fn retain(v: &mut Value, keys: &[&str]) {
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| keys.contains(&k.as_str()));
    }
}

/// A block that stands on its own: it decodes and passes the domain's rules. Unknown fields are
/// dropped, and so are ids and a model name (the workspace's default model plays it).
fn block_of(v: &Value) -> Option<Block> {
    let mut v = v.clone();
    match v["kind"].as_str() {
        Some("slide") => retain(&mut v, &["kind", "markdown", "narration"]),
        Some("quiz") => {
            retain(&mut v, &["kind", "questions"]);
            if let Some(qs) = v["questions"].as_array_mut() {
                qs.iter_mut().for_each(|q| retain(q, &["prompt", "choices", "correct"]));
            }
        }
        Some("simulation") => {
            retain(
                &mut v,
                &[
                    "kind",
                    "persona",
                    "scenario",
                    "objective",
                    "instructions",
                    "opening_line",
                    "max_turns",
                    "time_limit_s",
                    "scripted_lines",
                ],
            );
            retain(&mut v["persona"], &["name", "role", "personality", "voice"]);
        }
        _ => return None,
    }
    let block: Block = serde_json::from_value(v).ok()?;
    let mut probe = Content {
        modules: vec![Module { id: None, title: "probe".into(), blocks: vec![block.clone()] }],
        ..Content::default()
    };
    probe.normalise().ok()?;
    Some(Block { id: None, body: probe.modules.remove(0).blocks.remove(0).body })
}

/// Content read leniently from a model's JSON: what does not stand on its own is left out.
pub fn content_of(v: &Value) -> Content {
    let modules = v["modules"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| {
                    let title = m["title"].as_str().map(str::trim).filter(|t| !t.is_empty())?;
                    let blocks: Vec<Block> =
                        m["blocks"].as_array().map(|bs| bs.iter().filter_map(block_of).collect()).unwrap_or_default();
                    (!blocks.is_empty()).then(|| Module { id: None, title: title.chars().take(200).collect(), blocks })
                })
                .take(learning::MAX_MODULES)
                .collect()
        })
        .unwrap_or_default();
    let criteria = v["rubric"]["criteria"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    let title = c["title"].as_str().map(str::trim).filter(|t| !t.is_empty())?;
                    let weight =
                        c["weight"].as_f64().filter(|w| w.is_finite() && *w > 0.0 && *w <= 1000.0).unwrap_or(1.0);
                    Some(Criterion {
                        id: None,
                        title: title.chars().take(200).collect(),
                        description: c["description"].as_str().unwrap_or("").chars().take(2_000).collect(),
                        weight,
                        guidance: c["guidance"].as_str().unwrap_or("").chars().take(4_000).collect(),
                    })
                })
                .take(learning::MAX_CRITERIA)
                .collect()
        })
        .unwrap_or_default();
    let pass_mark =
        v["rubric"]["pass_mark"].as_u64().filter(|p| *p <= 100).map_or(learning::DEFAULT_PASS_MARK, |p| p as u32);
    Content { modules, settings: Settings::default(), rubric: Rubric { pass_mark, criteria } }
}

fn bounded(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, DomainError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if s.chars().count() > max || s.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, format!("must be at most {max} printable characters")));
    }
    Ok(Some(s.to_owned()))
}

impl Learning<'_> {
    async fn ask(
        &self,
        ws: &WorkspaceId,
        caller: &Caller,
        feature: Feature,
        system: String,
        user: String,
    ) -> Result<(Value, String)> {
        if self.ai.is_none() {
            return Err(unavailable(
                "no AI provider is configured on this server: create the course from scratch, from a template or by importing a file",
            ));
        }
        let call = AiCall {
            workspace_id: ws.clone(),
            feature,
            model: None,
            messages: vec![Message::new(Role::System, system), Message::new(Role::User, user)],
            max_tokens: GENERATION_MAX_TOKENS,
            temperature: Some(0.4),
            json: true,
            course_id: None,
            user_id: caller.user_id().cloned(),
            attempt_id: None,
        };
        let answer = self.credits().complete(call).await?;
        let value = first_object(&answer.completion.text).ok_or_else(|| {
            unavailable("the AI provider answered, but not with a course outline; try again, or with a different model")
        })?;
        Ok((value, answer.usage_event_id))
    }

    /// Generates a draft course (`content.create`; metered as `course_generation`).
    pub async fn generate_course(&self, caller: &Caller, ws: &WorkspaceId, brief: Brief) -> Result<Course> {
        // Who may, before what: a caller who may not is told so whatever the brief says.
        let org = self.may_upload(caller, ws).await?;
        let topic = bounded("topic", Some(&brief.topic), 500)?
            .ok_or_else(|| DomainError::invalid("topic", "must not be empty"))?;
        let audience = bounded("audience", brief.audience.as_deref(), 500)?;
        let goals = bounded("goals", brief.goals.as_deref(), 2_000)?;
        let system = format!("You design short corporate training courses with an AI role-play. {SHAPE}");
        let user = format!(
            "Topic: {topic}\nAudience: {}\nLearning goals: {}",
            audience.as_deref().unwrap_or("employees new to the topic"),
            goals.as_deref().unwrap_or("understand the topic and practise it in a realistic conversation")
        );
        let (value, usage_event) = self.ask(ws, caller, Feature::CourseGeneration, system, user).await?;
        let content = content_of(&value);
        if content.modules.is_empty() {
            return Err(unavailable(
                "the AI provider's outline had no usable module; try again, or with a different model",
            ));
        }
        let title = value["title"]
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(&topic)
            .chars()
            .take(200)
            .collect();
        let description = value["description"].as_str().map(|d| d.chars().take(4_000).collect());
        let mut tx = self.begin_change().await?;
        let access = workspace_access(&mut tx, self.cached(), caller, &org, ws).await?;
        access.require_in_workspace(Permission::ContentCreate)?;
        let new = NewCourse { title, description, content: Some(content), ..NewCourse::default() };
        let mut extra = serde_json::Map::new();
        extra.insert(
            "generated".into(),
            json!({"feature": "course_generation", "topic": topic, "usage_event_id": usage_event}),
        );
        let course =
            self.insert_new_course(&mut tx, caller, &access, &org, ws, new, Action::CourseCreated, extra).await?;
        tx.commit().await?;
        Ok(course)
    }

    /// Regenerates a template for a new audience (`content.create`; metered as
    /// `template_regeneration`): a new template, the original stays.
    pub async fn regenerate_template(&self, caller: &Caller, id: &TemplateId, audience: &str) -> Result<TemplateRow> {
        let original = self.template(caller, id).await?;
        self.may_upload(caller, &original.workspace_id).await?;
        let audience = bounded("audience", Some(audience), 500)?
            .ok_or_else(|| DomainError::invalid("audience", "must not be empty"))?;
        let system = format!(
            "You adapt a training course to a new audience: keep its structure and intent, rewrite its wording, examples, \
             role-play and rubric for the audience. {SHAPE}"
        );
        let mut source = serde_json::to_value(&original.content).map_err(|e| ServiceError::Internal(e.into()))?;
        source["title"] = json!(original.name);
        let user = format!("Audience: {audience}\nCourse: {source}");
        let (value, usage_event) =
            self.ask(&original.workspace_id, caller, Feature::TemplateRegeneration, system, user).await?;
        let mut content = content_of(&value);
        if content.modules.is_empty() {
            return Err(unavailable(
                "the AI provider's answer had no usable module; try again, or with a different model",
            ));
        }
        content.normalise()?;
        let name: String = format!("{} — for {audience}", original.name).chars().take(200).collect();
        let mut tx = self.begin_change().await?;
        let access = workspace_access(&mut tx, self.cached(), caller, &original.org_id, &original.workspace_id).await?;
        access.require_in_workspace(Permission::ContentCreate)?;
        let t = TemplateRow {
            id: TemplateId::new(),
            org_id: original.org_id.clone(),
            workspace_id: original.workspace_id.clone(),
            name,
            description: original.description.clone(),
            audience: Some(audience),
            source_course_id: original.source_course_id.clone(),
            source_template_id: Some(original.id.clone()),
            created_at: now_ms(),
            content,
        };
        store::insert_template(&mut tx, &t, caller.user_id()).await?;
        let mut entry = template_entry(&t);
        if let Some(after) = entry.after.as_mut() {
            after["generated"] = json!({"feature": "template_regeneration", "usage_event_id": usage_event});
        }
        tx.record(&caller.audit_actor(), vec![entry], now_ms());
        tx.commit().await?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_s_answer_is_read_leniently_and_bad_parts_are_left_out() {
        let text = r##"Sure! Here is your course:
```json
{"title": "Negotiation", "modules": [
  {"title": "Basics", "blocks": [
    {"kind": "slide", "markdown": "# Hi", "id": "not-an-id"},
    {"kind": "quiz", "questions": [{"prompt": "p", "choices": ["a", "b"], "correct": [7]}]},
    {"kind": "hologram"},
    {"kind": "media", "media_id": "0190aaaa-0000-7000-8000-000000000000"},
    {"kind": "simulation", "persona": {"name": "Kim"}, "opening_line": "Hello", "scripted_lines": ["a"], "service_tier": "x"}
  ]},
  {"title": "", "blocks": [{"kind": "slide", "markdown": "x"}]},
  {"title": "Empty", "blocks": []}
 ],
 "rubric": {"pass_mark": 500, "criteria": [{"title": "Listens", "weight": -2, "guidance": "asks two questions"}, {"weight": 1}]}}
```
Good luck!"##;
        let v = first_object(text).expect("the object");
        let c = content_of(&v);
        assert_eq!(c.modules.len(), 1);
        let kinds: Vec<&str> = c.modules[0].blocks.iter().map(|b| b.body.kind()).collect();
        // The quiz with a wrong answer index, the unknown kind and the media block (a model
        // cannot name this workspace's media) are dropped; the simulation's extra field is.
        assert_eq!(kinds, ["slide", "simulation"]);
        assert_eq!(c.rubric.pass_mark, 70);
        assert_eq!(c.rubric.criteria.len(), 1);
        assert_eq!(c.rubric.criteria[0].weight, 1.0);
        assert!(first_object("no json here").is_none());
    }
}
