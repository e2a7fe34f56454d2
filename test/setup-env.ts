// Unit tests talk to a fixed fake base URL through nock; never the internet.
process.env.SOTION_API_BASE_URL = 'https://api.sotion.test/api/v1';
process.env.NODE_ENV = 'test';
