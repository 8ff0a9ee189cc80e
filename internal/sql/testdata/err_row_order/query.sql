-- ROW values have no order: Calcite refuses <, <=, >, >= between ROWs
-- ("inequality comparison for row types"), and so does strom.
SELECT a FROM (VALUES (1, 2)) AS t(a, b) WHERE (a, b) < (1, 3);
