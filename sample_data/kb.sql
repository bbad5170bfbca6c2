-- Knowledge-base articles, as a help-centre database would hold them.
-- Loaded into a throwaway SQLite database by the `kb` source (script: kb.sql).
CREATE TABLE articles (
    id        INTEGER PRIMARY KEY,
    title     TEXT NOT NULL,
    body      TEXT,
    answer    TEXT,
    lang      TEXT NOT NULL DEFAULT 'en',
    updated   TEXT NOT NULL
);
INSERT INTO articles (id, title, body, answer, lang, updated) VALUES
 (1, 'How do I invite a teammate?', '',
  'Go to Organisation → Members and click Invite. Enter their email address and choose a role (Viewer, Editor or Admin). The invitation link is valid for seven days.', 'en', '2026-10-02'),
 (2, 'What happens when my trial ends?', 'Trial accounts on the Starter plan.',
  'Your projects stay read-only for 30 days. Add a payment method at any time in that window to continue where you left off; after 30 days the projects are deleted.', 'en', '2026-10-05'),
 (3, 'How do I set up a custom domain?', '',
  'Add the domain under Sites → Domains, then create a CNAME record at your DNS provider pointing to edge.acme.example. Certificates are issued automatically once the record resolves, usually within ten minutes.', 'en', '2026-09-21'),
 (4, 'Can I restore a deleted project?', '',
  'As an AI, I do not have access to your projects or backups.', 'en', '2026-09-30'),
 (5, 'How do I rotate an API key?', '',
  'Of course! Create the new key first, deploy it, then revoke the old one. Revoking is immediate, so deploy before you revoke. Feel free to ask if anything is unclear.', 'en', '2026-10-11'),
 (6, '如何邀请团队成员？', '',
  '在“组织 → 成员”中点击“邀请”，输入对方邮箱并选择角色（查看者、编辑者或管理员）。邀请链接七天内有效。', 'zh', '2026-10-02'),
 (7, '试用期结束后会怎样？', '',
  '当然可以！试用结束后，您的项目在三十天内保持只读。在此期间添加付款方式即可继续使用；三十天后项目会被删除。如果您还有其他问题，请随时提问。', 'zh', '2026-10-06'),
 (8, 'How do I invite a teammate?', '',
  'Go to Organisation → Members and click Invite. Enter their email address and choose a role (Viewer, Editor or Admin). The invitation link is valid for seven days.', 'en', '2026-10-03'),
 (9, 'Where can I see the status of the service?', '',
  'See status.acme.example. Lorem ipsum dolor sit amet.', 'en', '2026-10-12'),
 (11, 'How do I set up a custom domain?', '',
  'Add the domain under Sites → Domains, then create a CNAME record at your DNS provider pointing to edge.acme.example. Certificates are issued automatically once the record resolves, typically within ten minutes.', 'en', '2026-10-20'),
 (10, 'How do I enable audit logs?', '',
  'Audit logs are on for every Business organisation. Open Organisation → Security → Audit log to search events by user, action and date, or stream them to your SIEM with the audit-log webhook.', 'en', '2026-10-15');
