/**
 * The demo's realistic schema and data (customers and orders with numeric, timestamptz, uuid, jsonb and
 * Unicode text), and the drift it plants in the target so the diff has something to find.
 */

/** Tables of the demo, in the order they are diffed and repaired. */
export const DEMO_TABLES = ['public.customers', 'public.orders'] as const;

/** Schema plus 500 customers and 2,000 orders, deterministic, identical on both sides. */
export const DEMO_SCHEMA_SQL = `
CREATE TABLE customers (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  email text,
  country char(2) NOT NULL,
  credit_limit numeric(12,2) NOT NULL,
  created_at timestamptz NOT NULL,
  profile jsonb
);
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id uuid NOT NULL REFERENCES customers(id),
  status text NOT NULL,
  total numeric(14,2) NOT NULL,
  currency char(3) NOT NULL,
  placed_at timestamptz NOT NULL,
  items jsonb NOT NULL,
  note text
);
INSERT INTO customers
SELECT md5('customer-' || i)::uuid,
       (ARRAY['Zoë Ångström','José Muñoz','李小龍','Ольга Петрова','Siobhán Ó Briain','Łukasz Żółć','أحمد','Chloé Dupont'])[1 + i % 8]
         || ' #' || i,
       CASE WHEN i % 17 = 0 THEN NULL ELSE 'customer' || i || '@example.com' END,
       (ARRAY['DE','FR','PL','JP','BR','IE','EG','US'])[1 + i % 8],
       round((i * 137.31)::numeric % 50000, 2),
       timestamptz '2024-01-01 00:00:00+00' + i * interval '7 hours 13 minutes 0.123456 seconds',
       jsonb_build_object('tier', (ARRAY['bronze','silver','gold'])[1 + i % 3], 'tags', jsonb_build_array('demo', 'n' || i % 5), 'émoji', '🛒')
FROM generate_series(1, 500) AS i;
INSERT INTO orders
SELECT i,
       md5('customer-' || (1 + i % 500))::uuid,
       (ARRAY['placed','paid','shipped','delivered','refunded'])[1 + i % 5],
       round((i * 19.99)::numeric % 2500 + 0.01, 2),
       (ARRAY['EUR','USD','PLN','JPY'])[1 + i % 4],
       timestamptz '2025-03-01 08:00:00+00' + i * interval '41 minutes 7.654321 seconds',
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (i % 97), 'qty', 1 + i % 4, 'price', round((i % 50) + 0.99, 2))),
       CASE WHEN i % 11 = 0 THEN 'Bitte vor 10 Uhr liefern — merci ✓' END
FROM generate_series(1, 2000) AS i;
`;

/** What went wrong in the target, as a replication bug or a manual hotfix would leave it. */
export const DEMO_DRIFT_SQL = `
-- 3 orders never arrived
DELETE FROM orders WHERE id IN (42, 1337, 1999);
-- 2 orders exist only in the target
INSERT INTO orders VALUES
  (900001, md5('customer-7')::uuid, 'placed', 10.00, 'EUR', timestamptz '2025-06-01 12:00:00+00', '[]', 'ghost order'),
  (900002, md5('customer-8')::uuid, 'paid', 99.95, 'USD', timestamptz '2025-06-01 12:30:00+00', '[]', NULL);
-- 4 orders and 2 customers differ in one or two columns
UPDATE orders SET total = total + 0.01 WHERE id = 7;
UPDATE orders SET status = 'shipped', note = 'Zugestellt ✓' WHERE id = 250;
UPDATE orders SET placed_at = placed_at + interval '1 microsecond' WHERE id = 500;
UPDATE orders SET items = '[{"sku": "SKU-1", "qty": 99, "price": 0.99}]' WHERE id = 777;
UPDATE customers SET email = 'ZOE@EXAMPLE.COM' WHERE id = md5('customer-8')::uuid;
UPDATE customers SET name = 'Jose Munoz #9', profile = profile - 'émoji' WHERE id = md5('customer-9')::uuid;
`;

/** Differences {@link DEMO_DRIFT_SQL} plants, per table (what a correct diff must report). */
export const DEMO_EXPECTED = {
  'public.customers': { missing: 0, extra: 0, mismatched: 2 },
  'public.orders': { missing: 3, extra: 2, mismatched: 4 },
} as const;
