//! The engines agree, on a tiny hand-made population: every person, every workspace, every
//! permission — and on the cases checked by hand. No timings here.

use lyceum_benches::agreement::CASES;
use lyceum_benches::population::Population;
use lyceum_benches::queries::Query;
use lyceum_benches::suite::Suite;
use lyceum_benches::{dataset, fixture};
use lyceum_domain::Permission;

#[tokio::test]
async fn all_engines_answer_every_question_alike_on_a_tiny_population() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lyceum = dataset::open(dir.path(), None).await.expect("a Lyceum on SQLite");
    fixture::write(&lyceum, &fixture::tiny()).await.expect("the fixture is written");
    // Read back, as the benchmark does: the engines are loaded from the database's rows.
    let population = Population::load(&lyceum.pool).await.expect("the population");
    assert_eq!(population.workspaces.len(), 4);
    let mut users: Vec<_> = population.org_members.iter().map(|(_, user, _)| *user).collect();
    users.extend(&population.outsiders);
    users.sort_unstable();
    users.dedup();
    let mut queries = Vec::new();
    for user in &users {
        for (workspace, _) in &population.workspaces {
            queries.extend(Permission::all().map(|permission| Query {
                user: *user,
                permission,
                workspace: *workspace,
            }));
        }
    }
    let n = queries.len();
    let suite = Suite::build(lyceum, population, queries).await.expect("the engines agree");
    assert_eq!(suite.hand_checked, CASES.len(), "the fixture has someone for every hand-checked case");
    assert_eq!(suite.tally.allowed + suite.tally.denied, n);
    // The timed entry points give the agreed answers too.
    suite.warm();
    for i in 0..suite.queries.len() {
        let hot = suite.hot(i).expect("cached");
        assert_eq!(suite.cedar(i), hot, "cedar on {:?}", suite.queries[i]);
        assert_eq!(suite.casbin(i), hot, "casbin on {:?}", suite.queries[i]);
        assert_eq!(suite.hot_async(i).await, hot, "Lyceum::may on {:?}", suite.queries[i]);
    }
    assert_eq!(suite.cold(0).await, suite.hot(0).expect("cached"));
}

#[tokio::test]
async fn engines_loaded_from_other_rows_than_the_database_are_caught() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lyceum = dataset::open(dir.path(), None).await.expect("a Lyceum on SQLite");
    fixture::write(&lyceum, &fixture::tiny()).await.expect("the fixture is written");
    let mut population = Population::load(&lyceum.pool).await.expect("the population");
    // A learner promoted in the rows cedar, casbin and the cache are loaded from, not in the
    // database `Lyceum::may` reads on a miss.
    let learner = population
        .workspace_members
        .iter_mut()
        .find(|(_, _, role)| *role == lyceum_domain::WorkspaceRole::Learner)
        .expect("a learner");
    learner.2 = lyceum_domain::WorkspaceRole::Owner;
    let query = Query { user: learner.1, permission: Permission::MembersInvite, workspace: learner.0 };
    let refused = Suite::build(lyceum, population, vec![query]).await.err().expect("the disagreement is caught");
    assert!(refused.to_string().contains("disagree"), "{refused}");
}
