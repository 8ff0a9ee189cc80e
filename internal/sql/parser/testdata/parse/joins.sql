SELECT * FROM a JOIN b ON a.id = b.id;
SELECT * FROM a INNER JOIN b USING (id, k);
SELECT * FROM a LEFT JOIN b ON a.id = b.id RIGHT OUTER JOIN c ON b.id = c.id FULL JOIN d ON TRUE;
SELECT * FROM a CROSS JOIN b, c NATURAL JOIN d;
SELECT * FROM a, (b JOIN c ON b.x = c.x);
SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x;
-- temporal (lookup) join
SELECT o.id, r.rate
FROM orders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.proc_time AS r ON o.currency = r.currency;
-- interval join
SELECT * FROM orders o, shipments s
WHERE o.id = s.order_id AND o.ts BETWEEN s.ts - INTERVAL '4' HOUR AND s.ts;
-- arrays and table functions
SELECT o.id, tag FROM orders AS o CROSS JOIN UNNEST(o.tags) AS t (tag);
SELECT * FROM orders CROSS JOIN UNNEST(tags, scores) WITH ORDINALITY AS t (tag, score, pos);
SELECT a, w FROM t, LATERAL TABLE(split(t.s, ' ')) AS T (w, len);
SELECT a, w FROM t LEFT JOIN LATERAL TABLE(split(t.s)) AS T (w) ON TRUE;
SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.a = t.a) AS x;
