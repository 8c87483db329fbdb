// sfdx-lwc-jest preset for the Lightning Web Components in force-app, with sa11y accessibility matchers.
const { jestConfig } = require('@salesforce/sfdx-lwc-jest/config');

module.exports = {
  ...jestConfig,
  modulePathIgnorePatterns: ['<rootDir>/.localdevserver', '<rootDir>/node_modules'],
  testMatch: ['<rootDir>/force-app/**/__tests__/**/*.test.js'],
  setupFilesAfterEnv: ['<rootDir>/jest.setup.cjs'],
};
