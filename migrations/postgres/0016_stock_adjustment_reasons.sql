-- Staff adjust stock with a reason of their own: goods received, damaged, a correction, a customer's
-- return or a count. Kept in step with migrations/sqlite.

ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_reason_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_reason_check
    CHECK (reason IN ('initial', 'restock', 'adjustment', 'sale', 'return', 'cancellation',
                      'received', 'damaged', 'correction', 'count'));
