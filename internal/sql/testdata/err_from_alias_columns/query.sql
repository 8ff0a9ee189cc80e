-- Column aliases in FROM name every column of the item.
SELECT a FROM (VALUES (1, 'x')) AS v(a);
