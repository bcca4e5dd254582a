//! One entry point for the relay: a CSTA request from an agent's session,
//! checked against the agent's telephony mode before anything else.

use app::{
    opencti::{OpenCtiError, functions::Function, rules::Action},
    wire::native::{CallCreated, ConsultPurpose, CstaRequest, RequestedAgentState, ResponseValue},
};

use super::Switch;

/// The Interface function a request serves, for the telephony-mode check.
pub fn function_of(request: &CstaRequest) -> Function {
    match request {
        CstaRequest::SetAgentState { state, .. } => match state {
            RequestedAgentState::LoggedOff => Function::Logout,
            RequestedAgentState::Ready => Function::AgentReady,
            RequestedAgentState::NotReady => Function::AgentNotReady,
        },
        CstaRequest::CompleteWrapUp { .. } => Function::CompleteWrapUp,
        CstaRequest::MakeCall { .. } => Function::MakeCall,
        CstaRequest::AnswerCall { .. } => Function::AnswerCall,
        CstaRequest::RejectCall { .. } => Function::RejectCall,
        CstaRequest::ClearConnection { device: None, .. } => Function::HangUpCall,
        CstaRequest::ClearConnection {
            device: Some(_), ..
        } => Function::DropParty,
        CstaRequest::HoldCall { .. } => Function::HoldCall,
        CstaRequest::RetrieveCall { .. } => Function::RetrieveCall,
        CstaRequest::GenerateDigits { .. } => Function::SendDtmf,
        CstaRequest::ConsultationCall {
            purpose: ConsultPurpose::Transfer,
            ..
        } => Function::TransferInitiate,
        CstaRequest::ConsultationCall {
            purpose: ConsultPurpose::Conference,
            ..
        } => Function::ConferenceInitiate,
        CstaRequest::TransferCall { .. } => Function::TransferComplete,
        CstaRequest::ConferenceCall { .. } => Function::ConferenceComplete,
        CstaRequest::SingleStepTransferCall { .. } => Function::BlindTransfer,
        CstaRequest::AlternateCall { .. } => Function::AlternateCall,
        CstaRequest::GetDirectory => Function::GetDirectory,
        CstaRequest::PauseRecording { .. } => Function::PauseRecording,
        CstaRequest::ResumeRecording { .. } => Function::ResumeRecording,
    }
}

impl Switch {
    /// Executes a request of a logged-in agent. Every service checks the
    /// rules first (a function outside the agent's telephony mode is
    /// refused with `OPENCTI_NOT_SUPPORTED` before anything else).
    pub fn execute(
        &mut self,
        agent_id: &str,
        request: &CstaRequest,
    ) -> Result<ResponseValue, OpenCtiError> {
        let function = function_of(request);
        let done = |r: Result<(), OpenCtiError>| r.map(|()| ResponseValue::Done);
        let created = |r: Result<String, OpenCtiError>| {
            r.map(|call_id| ResponseValue::Call(CallCreated { call_id }))
        };
        match request {
            CstaRequest::SetAgentState {
                state,
                reason,
                work_mode,
            } => done(match state {
                RequestedAgentState::LoggedOff => self.logout(agent_id, reason.as_deref()),
                RequestedAgentState::Ready => self.set_ready(agent_id, *work_mode),
                RequestedAgentState::NotReady => {
                    self.set_not_ready(agent_id, reason.as_deref(), *work_mode)
                }
            }),
            CstaRequest::CompleteWrapUp { disposition, note } => {
                done(self.complete_wrap_up(agent_id, disposition.as_deref(), note.as_deref()))
            }
            CstaRequest::MakeCall {
                destination,
                user_data,
            } => created(self.make_call(agent_id, destination, user_data.as_ref())),
            CstaRequest::AnswerCall { call_id } => done(self.answer(agent_id, call_id)),
            CstaRequest::RejectCall { call_id } => done(self.reject(agent_id, call_id)),
            CstaRequest::ClearConnection {
                call_id,
                device: None,
            } => done(self.hang_up(agent_id, call_id)),
            CstaRequest::ClearConnection {
                call_id,
                device: Some(party),
            } => done(self.drop_party(agent_id, call_id, party)),
            CstaRequest::HoldCall { call_id } => done(self.hold(agent_id, call_id)),
            CstaRequest::RetrieveCall { call_id } => done(self.retrieve(agent_id, call_id)),
            CstaRequest::GenerateDigits { call_id, digits } => {
                done(self.generate_digits(agent_id, call_id, digits))
            }
            CstaRequest::ConsultationCall {
                call_id,
                destination,
                user_data,
                ..
            } => {
                created(self.consult(agent_id, call_id, destination, function, user_data.as_ref()))
            }
            CstaRequest::TransferCall {
                original_call_id,
                consult_call_id,
            }
            | CstaRequest::ConferenceCall {
                original_call_id,
                consult_call_id,
            } => done(self.complete(agent_id, function, original_call_id, consult_call_id)),
            CstaRequest::SingleStepTransferCall {
                call_id,
                destination,
                user_data,
            } => {
                done(self.single_step_transfer(agent_id, call_id, destination, user_data.as_ref()))
            }
            CstaRequest::AlternateCall {
                held_call_id,
                active_call_id,
            } => done(self.alternate(agent_id, held_call_id, active_call_id)),
            CstaRequest::PauseRecording { call_id } => {
                done(self.pause_recording(agent_id, call_id))
            }
            CstaRequest::ResumeRecording { call_id } => {
                done(self.resume_recording(agent_id, call_id))
            }
            CstaRequest::GetDirectory => {
                self.permit(agent_id, Action::new(function, &[]))?;
                Ok(ResponseValue::Directory(self.directory()))
            }
        }
    }
}
