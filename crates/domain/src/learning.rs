//! Courses as authored (PRODUCT.md §4, API.md "Courses"): a course's content — modules of ordered
//! blocks, runtime settings and the rubric — the same shape for the draft, every published
//! version and every template. `Content::normalise` is the one place its rules live: bounds,
//! server-assigned ids (kept when sent, fresh when absent, never duplicated), defaults, and the
//! warnings an author sees without being refused (a vague rubric criterion).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::id::{BlockId, CriterionId, MediaId, ModuleId};
use crate::DomainError;

/// The most modules a course holds.
pub const MAX_MODULES: usize = 200;
/// The most blocks in all its modules.
pub const MAX_BLOCKS: usize = 2_000;
/// The most characters of one slide's markdown.
pub const MAX_MARKDOWN: usize = 100_000;
/// The most criteria of a rubric.
pub const MAX_CRITERIA: usize = 50;
/// The most characters of a criterion's guidance before it stops counting as vague.
pub const VAGUE_GUIDANCE: usize = 20;
/// The default pass mark of a rubric.
pub const DEFAULT_PASS_MARK: u32 = 70;
/// The most tags on one course.
pub const MAX_TAGS: usize = 20;

/// What a course teaches: the draft, a published version or a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Content {
    #[serde(default)]
    pub modules: Vec<Module>,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub rubric: Rubric,
}

/// A module (chapter): a title and its ordered blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ModuleId>,
    pub title: String,
    #[serde(default)]
    pub blocks: Vec<Block>,
}

/// One block of a module; `kind` names its variant on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<BlockId>,
    #[serde(flatten)]
    pub body: BlockBody,
}

/// The kinds of block and their fields (API.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockBody {
    Slide {
        #[serde(default)]
        markdown: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_id: Option<MediaId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        narration: Option<String>,
    },
    Media {
        media_id: MediaId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    Quiz {
        #[serde(default)]
        questions: Vec<Question>,
    },
    Simulation(Box<Simulation>),
}

impl BlockBody {
    /// The wire name of the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            BlockBody::Slide { .. } => "slide",
            BlockBody::Media { .. } => "media",
            BlockBody::Quiz { .. } => "quiz",
            BlockBody::Simulation(_) => "simulation",
        }
    }

    /// The media this block shows, if any.
    pub fn media(&self) -> Option<&MediaId> {
        match self {
            BlockBody::Slide { image_id, .. } => image_id.as_ref(),
            BlockBody::Media { media_id, .. } => Some(media_id),
            _ => None,
        }
    }
}

/// A quiz question: scored exactly (the chosen set equals `correct`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub prompt: String,
    pub choices: Vec<String>,
    /// Indexes into `choices`, at least one.
    pub correct: Vec<usize>,
}

/// The AI persona the learner converses with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub personality: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
}

/// A role-play simulation block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    pub persona: Persona,
    /// What the learner is told.
    #[serde(default)]
    pub scenario: String,
    /// What the learner must achieve.
    #[serde(default)]
    pub objective: String,
    /// Hidden instructions for the persona: never sent to a learner's browser.
    #[serde(default)]
    pub instructions: String,
    pub opening_line: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_s: Option<u32>,
    /// Default: the workspace's AI default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// What the persona says, in order, when no AI provider is configured.
    #[serde(default)]
    pub scripted_lines: Vec<String>,
}

/// Runtime settings of a course (the pass mark lives in the rubric).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `None`: unlimited.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    #[serde(default = "yes")]
    pub show_score: bool,
    #[serde(default = "yes")]
    pub branding_intro: bool,
}

fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { max_attempts: None, show_score: true, branding_intro: true }
    }
}

/// How a transcript is scored: weighted criteria and a pass mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    #[serde(default = "default_pass_mark")]
    pub pass_mark: u32,
    #[serde(default)]
    pub criteria: Vec<Criterion>,
}

fn default_pass_mark() -> u32 {
    DEFAULT_PASS_MARK
}

impl Default for Rubric {
    fn default() -> Rubric {
        Rubric { pass_mark: DEFAULT_PASS_MARK, criteria: Vec::new() }
    }
}

/// One criterion of a rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CriterionId>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// Instructions for the AI scorer.
    #[serde(default)]
    pub guidance: String,
}

fn default_weight() -> f64 {
    1.0
}

impl Rubric {
    /// Each criterion's share of the total weight, in percent (what the editor shows).
    pub fn shares(&self) -> Vec<f64> {
        let total: f64 = self.criteria.iter().map(|c| c.weight).sum();
        self.criteria.iter().map(|c| if total > 0.0 { c.weight / total * 100.0 } else { 0.0 }).collect()
    }

    /// The overall score of criterion scores (0–100 each, in criterion order): their weighted
    /// average, `None` when any is missing (an unscored criterion leaves the whole unscored).
    pub fn overall(&self, scores: &[Option<f64>]) -> Option<f64> {
        if scores.len() != self.criteria.len() || self.criteria.is_empty() {
            return None;
        }
        let mut sum = 0.0;
        let mut total = 0.0;
        for (c, s) in self.criteria.iter().zip(scores) {
            sum += c.weight * (*s)?;
            total += c.weight;
        }
        Some(sum / total)
    }
}

/// A warning on content that is accepted: the author sees it, nothing is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Where, e.g. `rubric.criteria[2].guidance`.
    pub field: String,
    pub message: String,
}

/// Trims a required one-line text and bounds it.
fn line(field: &str, raw: &str, max: usize) -> Result<String, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    bounded(field, s, max)
}

/// Bounds a free text (may be empty); control characters other than newlines and tabs refused.
fn bounded(field: &str, raw: &str, max: usize) -> Result<String, DomainError> {
    if raw.chars().count() > max {
        return Err(DomainError::invalid(field, format!("must be at most {max} characters")));
    }
    if raw.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    Ok(raw.to_owned())
}

/// Keeps an id it was sent (once) or assigns a fresh one.
fn keep_or_assign<T: Clone + Eq + std::hash::Hash>(
    field: &str,
    id: &mut Option<T>,
    seen: &mut HashSet<T>,
    fresh: impl FnOnce() -> T,
) -> Result<(), DomainError> {
    let value = id.clone().unwrap_or_else(fresh);
    if !seen.insert(value.clone()) {
        return Err(DomainError::invalid(field, "this id appears twice in the course"));
    }
    *id = Some(value);
    Ok(())
}

impl Content {
    /// Checks every rule, trims texts, assigns the ids that are missing and answers the warnings.
    /// After this every module, block and criterion has an id, unique in the course.
    pub fn normalise(&mut self) -> Result<Vec<Warning>, DomainError> {
        if self.modules.len() > MAX_MODULES {
            return Err(DomainError::invalid("modules", format!("at most {MAX_MODULES} modules")));
        }
        let blocks: usize = self.modules.iter().map(|m| m.blocks.len()).sum();
        if blocks > MAX_BLOCKS {
            return Err(DomainError::invalid("modules", format!("at most {MAX_BLOCKS} blocks in all")));
        }
        let mut modules = HashSet::new();
        let mut block_ids = HashSet::new();
        for (i, m) in self.modules.iter_mut().enumerate() {
            let at = format!("modules[{i}]");
            keep_or_assign(&format!("{at}.id"), &mut m.id, &mut modules, ModuleId::new)?;
            m.title = line(&format!("{at}.title"), &m.title, 200)?;
            for (j, b) in m.blocks.iter_mut().enumerate() {
                let at = format!("{at}.blocks[{j}]");
                keep_or_assign(&format!("{at}.id"), &mut b.id, &mut block_ids, BlockId::new)?;
                normalise_block(&at, &mut b.body)?;
            }
        }
        if let Some(n) = self.settings.max_attempts {
            if !(1..=1000).contains(&n) {
                return Err(DomainError::invalid("settings.max_attempts", "must be between 1 and 1000, or absent"));
            }
        }
        let r = &mut self.rubric;
        if r.pass_mark > 100 {
            return Err(DomainError::invalid("rubric.pass_mark", "must be between 0 and 100"));
        }
        if r.criteria.len() > MAX_CRITERIA {
            return Err(DomainError::invalid("rubric.criteria", format!("at most {MAX_CRITERIA} criteria")));
        }
        let mut criteria = HashSet::new();
        let mut warnings = Vec::new();
        for (i, c) in r.criteria.iter_mut().enumerate() {
            let at = format!("rubric.criteria[{i}]");
            keep_or_assign(&format!("{at}.id"), &mut c.id, &mut criteria, CriterionId::new)?;
            c.title = line(&format!("{at}.title"), &c.title, 200)?;
            c.description = bounded(&format!("{at}.description"), c.description.trim(), 2_000)?;
            c.guidance = bounded(&format!("{at}.guidance"), c.guidance.trim(), 4_000)?;
            if !(c.weight.is_finite() && c.weight > 0.0 && c.weight <= 1000.0) {
                return Err(DomainError::invalid(&format!("{at}.weight"), "must be greater than 0 (at most 1000)"));
            }
            if c.guidance.chars().count() < VAGUE_GUIDANCE {
                warnings.push(Warning {
                    field: format!("{at}.guidance"),
                    message: format!(
                        "“{}” has {} guidance: the scorer will guess what it means; say what the learner should say or do",
                        c.title,
                        if c.guidance.is_empty() { "no" } else { "very short" }
                    ),
                });
            }
        }
        Ok(warnings)
    }

    /// Every block, in course order, with its module.
    pub fn blocks(&self) -> impl Iterator<Item = (&Module, &Block)> {
        self.modules.iter().flat_map(|m| m.blocks.iter().map(move |b| (m, b)))
    }

    /// The media every block refers to.
    pub fn media(&self) -> Vec<MediaId> {
        let mut v: Vec<MediaId> = self.blocks().filter_map(|(_, b)| b.body.media().cloned()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// The same content with fresh ids everywhere (a duplicate, a template, an instantiation).
    pub fn with_fresh_ids(&self) -> Content {
        let mut c = self.clone();
        for m in &mut c.modules {
            m.id = Some(ModuleId::new());
            for b in &mut m.blocks {
                b.id = Some(BlockId::new());
            }
        }
        for k in &mut c.rubric.criteria {
            k.id = Some(CriterionId::new());
        }
        c
    }
}

fn normalise_block(at: &str, body: &mut BlockBody) -> Result<(), DomainError> {
    match body {
        BlockBody::Slide { markdown, narration, .. } => {
            *markdown = bounded(&format!("{at}.markdown"), markdown, MAX_MARKDOWN)?;
            if let Some(n) = narration {
                *n = bounded(&format!("{at}.narration"), n.trim(), 10_000)?;
            }
        }
        BlockBody::Media { caption, .. } => {
            if let Some(c) = caption {
                *c = bounded(&format!("{at}.caption"), c.trim(), 500)?;
            }
        }
        BlockBody::Quiz { questions } => {
            if questions.is_empty() || questions.len() > 100 {
                return Err(DomainError::invalid(&format!("{at}.questions"), "a quiz has 1 to 100 questions"));
            }
            for (k, q) in questions.iter_mut().enumerate() {
                let at = format!("{at}.questions[{k}]");
                q.prompt = line(&format!("{at}.prompt"), &q.prompt, 2_000)?;
                if !(2..=20).contains(&q.choices.len()) {
                    return Err(DomainError::invalid(&format!("{at}.choices"), "a question has 2 to 20 choices"));
                }
                for (n, c) in q.choices.iter_mut().enumerate() {
                    *c = line(&format!("{at}.choices[{n}]"), c, 500)?;
                }
                q.correct.sort_unstable();
                q.correct.dedup();
                if q.correct.is_empty() || q.correct.iter().any(|i| *i >= q.choices.len()) {
                    return Err(DomainError::invalid(
                        &format!("{at}.correct"),
                        "must name at least one choice, by its index (0 is the first)",
                    ));
                }
            }
        }
        BlockBody::Simulation(s) => {
            s.persona.name = line(&format!("{at}.persona.name"), &s.persona.name, 100)?;
            s.persona.role = bounded(&format!("{at}.persona.role"), s.persona.role.trim(), 200)?;
            s.persona.personality = bounded(&format!("{at}.persona.personality"), s.persona.personality.trim(), 2_000)?;
            if let Some(v) = &s.persona.voice {
                s.persona.voice = Some(line(&format!("{at}.persona.voice"), v, 100)?);
            }
            s.scenario = bounded(&format!("{at}.scenario"), s.scenario.trim(), 4_000)?;
            s.objective = bounded(&format!("{at}.objective"), s.objective.trim(), 2_000)?;
            s.instructions = bounded(&format!("{at}.instructions"), s.instructions.trim(), 10_000)?;
            s.opening_line = line(&format!("{at}.opening_line"), &s.opening_line, 2_000)?;
            if s.max_turns.is_some_and(|n| !(1..=200).contains(&n)) {
                return Err(DomainError::invalid(&format!("{at}.max_turns"), "must be between 1 and 200, or absent"));
            }
            if s.time_limit_s.is_some_and(|n| !(10..=14_400).contains(&n)) {
                return Err(DomainError::invalid(
                    &format!("{at}.time_limit_s"),
                    "must be between 10 and 14400 seconds, or absent",
                ));
            }
            if let Some(m) = &s.model {
                let m = m.trim();
                s.model = if m.is_empty() { None } else { Some(line(&format!("{at}.model"), m, 200)?) };
            }
            if s.scripted_lines.len() > 200 {
                return Err(DomainError::invalid(&format!("{at}.scripted_lines"), "at most 200 lines"));
            }
            for (n, l) in s.scripted_lines.iter_mut().enumerate() {
                *l = line(&format!("{at}.scripted_lines[{n}]"), l, 2_000)?;
            }
        }
    }
    Ok(())
}

/// A course title: 1 to 200 characters.
pub fn parse_title(raw: &str) -> Result<String, DomainError> {
    line("title", raw, 200)
}

/// A course description: up to 4,000 characters.
pub fn parse_description(raw: &str) -> Result<String, DomainError> {
    bounded("description", raw.trim(), 4_000)
}

/// Tag names as a course carries them: trimmed, 1 to 40 characters, de-duplicated without regard
/// to case (the first spelling wins), at most [`MAX_TAGS`].
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, DomainError> {
    let mut seen = HashSet::new();
    let mut tags = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let t = line(&format!("tags[{i}]"), t, 40)?;
        if seen.insert(t.to_lowercase()) {
            tags.push(t);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(DomainError::invalid("tags", format!("at most {MAX_TAGS} tags")));
    }
    Ok(tags)
}

/// A draft revision as sent back: the one it was read at.
pub fn check_revision(sent: i64, current: i64) -> Result<(), DomainError> {
    if sent == current {
        Ok(())
    } else {
        Err(DomainError::Stale { sent, current })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim() -> BlockBody {
        BlockBody::Simulation(Box::new(Simulation {
            persona: Persona { name: "Dana".into(), role: "Buyer".into(), personality: "terse".into(), voice: None },
            scenario: "A renewal call".into(),
            objective: "Get a yes".into(),
            instructions: "Object to the price twice".into(),
            opening_line: "Hi, what is this about?".into(),
            max_turns: Some(8),
            time_limit_s: None,
            model: Some("  ".into()),
            scripted_lines: vec!["Too expensive.".into(), "Fine.".into()],
        }))
    }

    fn content() -> Content {
        Content {
            modules: vec![Module {
                id: None,
                title: "  Basics ".into(),
                blocks: vec![
                    Block {
                        id: None,
                        body: BlockBody::Slide { markdown: "# Hi".into(), image_id: None, narration: None },
                    },
                    Block { id: None, body: sim() },
                ],
            }],
            settings: Settings::default(),
            rubric: Rubric {
                pass_mark: 70,
                criteria: vec![
                    Criterion {
                        id: None,
                        title: "Empathy".into(),
                        description: String::new(),
                        weight: 1.0,
                        guidance: "Acknowledges the buyer's concern before answering it".into(),
                    },
                    Criterion {
                        id: None,
                        title: "Close".into(),
                        description: String::new(),
                        weight: 3.0,
                        guidance: "asks".into(),
                    },
                ],
            },
        }
    }

    #[test]
    fn normalising_assigns_ids_trims_and_warns_on_vague_criteria() {
        let mut c = content();
        let warnings = c.normalise().expect("valid");
        assert_eq!(c.modules[0].title, "Basics");
        assert!(c.modules[0].id.is_some() && c.modules[0].blocks.iter().all(|b| b.id.is_some()));
        assert!(c.rubric.criteria.iter().all(|k| k.id.is_some()));
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].field, "rubric.criteria[1].guidance");
        // An empty model means the workspace default.
        let BlockBody::Simulation(s) = &c.modules[0].blocks[1].body else { panic!("a simulation") };
        assert_eq!(s.model, None);
        // Ids sent are kept on the next save.
        let again = c.clone();
        c.normalise().expect("still valid");
        assert_eq!(c, again);
    }

    #[test]
    fn duplicated_ids_and_bad_fields_are_refused_with_their_place() {
        let mut c = content();
        c.normalise().expect("valid");
        let mut dup = c.clone();
        let first = dup.modules[0].blocks[0].clone();
        dup.modules[0].blocks.push(first);
        assert!(
            matches!(dup.normalise(), Err(DomainError::Validation { field, .. }) if field == "modules[0].blocks[2].id")
        );
        let mut w = c.clone();
        w.rubric.criteria[0].weight = 0.0;
        assert!(
            matches!(w.normalise(), Err(DomainError::Validation { field, .. }) if field == "rubric.criteria[0].weight")
        );
        let mut nan = c.clone();
        nan.rubric.criteria[0].weight = f64::NAN;
        assert!(nan.normalise().is_err());
        let mut q = c.clone();
        q.modules[0].blocks.push(Block {
            id: None,
            body: BlockBody::Quiz {
                questions: vec![Question {
                    prompt: "2+2?".into(),
                    choices: vec!["3".into(), "4".into()],
                    correct: vec![2],
                }],
            },
        });
        assert!(matches!(q.normalise(), Err(DomainError::Validation { field, .. }) if field.ends_with("correct")));
        let mut pm = c.clone();
        pm.rubric.pass_mark = 101;
        assert!(pm.normalise().is_err());
        let mut t = c;
        t.modules[0].title = " ".into();
        assert!(matches!(t.normalise(), Err(DomainError::Validation { field, .. }) if field == "modules[0].title"));
    }

    #[test]
    fn the_wire_shape_is_the_contract_s() {
        let raw = serde_json::json!({
            "modules": [{"title": "M", "blocks": [
                {"kind": "slide", "markdown": "x"},
                {"kind": "quiz", "questions": [{"prompt": "p", "choices": ["a", "b"], "correct": [1]}]},
                {"kind": "simulation", "persona": {"name": "N", "role": "r", "personality": "p"}, "scenario": "s",
                 "objective": "o", "instructions": "i", "opening_line": "hello", "scripted_lines": ["one"]}
            ]}],
            "settings": {"max_attempts": 3, "show_score": false, "branding_intro": true},
            "rubric": {"pass_mark": 80, "criteria": [{"title": "T", "description": "d", "weight": 2, "guidance": "g"}]}
        });
        let mut c: Content = serde_json::from_value(raw).expect("the contract's shape");
        c.normalise().expect("valid");
        let back = serde_json::to_value(&c).expect("serialise");
        assert_eq!(back["modules"][0]["blocks"][0]["kind"], "slide");
        assert_eq!(back["modules"][0]["blocks"][2]["persona"]["name"], "N");
        assert_eq!(back["settings"]["max_attempts"], 3);
        assert_eq!(back["rubric"]["criteria"][0]["weight"], 2.0);
        assert!(back["modules"][0]["blocks"][1]["id"].is_string());
        // Defaults: pass mark 70, weight 1.0, unlimited attempts, score shown.
        let d: Content =
            serde_json::from_value(serde_json::json!({"rubric": {"criteria": [{"title": "T"}]}})).expect("defaults");
        assert_eq!((d.rubric.pass_mark, d.rubric.criteria[0].weight), (70, 1.0));
        assert_eq!(d.settings, Settings { max_attempts: None, show_score: true, branding_intro: true });
        // An unknown kind is refused, not ignored.
        assert!(serde_json::from_value::<Block>(serde_json::json!({"kind": "video"})).is_err());
    }

    #[test]
    fn weights_become_shares_and_the_overall_score_is_their_weighted_average() {
        let mut c = content();
        c.normalise().expect("valid");
        assert_eq!(c.rubric.shares(), vec![25.0, 75.0]);
        assert_eq!(c.rubric.overall(&[Some(100.0), Some(60.0)]), Some(70.0));
        assert_eq!(c.rubric.overall(&[Some(100.0), None]), None);
    }

    #[test]
    fn fresh_ids_change_every_id_and_nothing_else() {
        let mut c = content();
        c.normalise().expect("valid");
        let f = c.with_fresh_ids();
        assert_ne!(f.modules[0].id, c.modules[0].id);
        assert_ne!(f.modules[0].blocks[0].id, c.modules[0].blocks[0].id);
        assert_eq!(f.modules[0].blocks[1].body, c.modules[0].blocks[1].body);
        assert_eq!(f.rubric.criteria[1].title, "Close");
    }

    #[test]
    fn tags_are_deduplicated_without_regard_to_case_and_revisions_checked() {
        assert_eq!(
            parse_tags(&["Sales".into(), " sales".into(), "Onboarding".into()]).expect("ok"),
            vec!["Sales", "Onboarding"]
        );
        assert!(parse_tags(&["".into()]).is_err());
        assert!(parse_tags(&(0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()).is_err());
        assert_eq!(check_revision(3, 3), Ok(()));
        assert_eq!(check_revision(2, 3), Err(DomainError::Stale { sent: 2, current: 3 }));
    }
}
