// index.js - the demo project's program: it uses its dependencies
console.log('demo-project runs:', require('dlpt-time'), require('dlpt-chalk'),
	require('@dlpt/scoped'), require('dlpt-postinstall'));
