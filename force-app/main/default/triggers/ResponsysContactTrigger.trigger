trigger ResponsysContactTrigger on Contact(
    before insert,
    before update,
    after insert,
    after update,
    after delete,
    after undelete
) {
    new ResponsysContactTriggerHandler().run();
}
