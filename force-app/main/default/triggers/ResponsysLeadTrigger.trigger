trigger ResponsysLeadTrigger on Lead(
    before insert,
    before update,
    after insert,
    after update,
    after delete,
    after undelete
) {
    new ResponsysLeadTriggerHandler().run();
}
