SET 'table.exec.state.ttl' = 'one hour';
