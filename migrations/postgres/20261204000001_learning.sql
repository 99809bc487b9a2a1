-- The learning wing: courses (the draft saved whole with its revision), their numbered immutable
-- published versions, the workspace's tag taxonomy, course templates and uploaded media.
-- Content (modules of ordered blocks, settings, rubric) is one JSON document per draft, version
-- or template: it is read and written whole, and its shape is the domain's `learning::Content`.
-- Times are Unix milliseconds.

CREATE TABLE courses (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    title TEXT NOT NULL,
    -- lower(title), for the library's search.
    title_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'trashed')),
    -- Where it came from: authored here, or a marketplace lease or purchase.
    origin TEXT NOT NULL DEFAULT 'own' CHECK (origin IN ('own', 'leased', 'purchased')),
    -- Each save of the draft adds one; a save naming an older one is refused (stale).
    revision BIGINT NOT NULL DEFAULT 1,
    draft TEXT NOT NULL,
    latest_version BIGINT,
    -- Comma-joined tag names, in the course's order (the list reads them without a join).
    tag_names TEXT NOT NULL DEFAULT '',
    trashed_at BIGINT,
    purge_at BIGINT,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((status = 'trashed') = (trashed_at IS NOT NULL))
);
CREATE INDEX courses_library ON courses(workspace_id, updated_at, id);
CREATE INDEX courses_purge ON courses(purge_at) WHERE purge_at IS NOT NULL;

CREATE TABLE course_versions (
    course_id TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    number BIGINT NOT NULL CHECK (number >= 1),
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT REFERENCES users(id),
    PRIMARY KEY (course_id, number)
);

CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name_key)
);

CREATE TABLE course_tags (
    course_id TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (course_id, tag_id)
);
CREATE INDEX course_tags_tag ON course_tags(tag_id);

CREATE TABLE course_templates (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    audience TEXT,
    content TEXT NOT NULL,
    -- The course it was saved from, or the template it was regenerated from.
    source_course_id TEXT,
    source_template_id TEXT,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX course_templates_ws ON course_templates(workspace_id, created_at);

CREATE TABLE media (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    content_type TEXT NOT NULL,
    bytes BIGINT NOT NULL CHECK (bytes >= 0),
    -- The uploaded file's name, for Content-Disposition only (never a path).
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    -- Where the object store holds it.
    object_key TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX media_ws ON media(workspace_id, created_at);

-- A published version never changes (it may only go with its course, when the trash is purged).
CREATE FUNCTION course_versions_immutable() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'published course versions are immutable'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER course_versions_no_update BEFORE UPDATE ON course_versions
FOR EACH ROW EXECUTE FUNCTION course_versions_immutable();
