trigger ResponsysOpportunityTrigger on Opportunity(after update) {
    new ResponsysOpportunityTriggerHandler().run();
}
