trigger ResponsysCampaignMemberTrigger on CampaignMember(after insert, after update, after delete) {
    new ResponsysCampaignMemberTriggerHandler().run();
}
