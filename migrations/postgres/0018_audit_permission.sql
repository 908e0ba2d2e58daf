-- The audit log is read in the back office by managers and admins. Identical in migrations/sqlite.

INSERT INTO permissions (resource, action) VALUES ('audit', 'read');

INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r, permissions p
WHERE r.name IN ('manager', 'admin') AND p.resource = 'audit' AND p.action = 'read';
