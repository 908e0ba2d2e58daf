-- Roles and what each may do, as resource x action. Authorization reads these rows, so changing who
-- may do what is a migration, not a code change. Identical in migrations/postgres.

INSERT INTO roles (name, description) VALUES
    ('customer', 'Shops, likes products, follows their own orders.'),
    ('support', 'Helps shoppers: orders and stock.'),
    ('manager', 'Runs the catalog: also products, categories and refunds.'),
    ('admin', 'Runs the shop: also users, roles and settings.');

INSERT INTO permissions (resource, action) VALUES
    ('products', 'read'), ('products', 'write'),
    ('categories', 'read'), ('categories', 'write'),
    ('inventory', 'read'), ('inventory', 'write'),
    ('orders', 'read'), ('orders', 'write'),
    ('refunds', 'read'), ('refunds', 'write'),
    ('users', 'read'), ('users', 'write'),
    ('settings', 'read'), ('settings', 'write');

INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id
FROM roles r
JOIN permissions p ON
    (r.name = 'support' AND (p.resource IN ('orders', 'inventory')
                             OR (p.resource IN ('products', 'categories') AND p.action = 'read')))
    OR (r.name = 'manager' AND p.resource IN ('orders', 'inventory', 'products', 'categories', 'refunds'))
    OR r.name = 'admin';
