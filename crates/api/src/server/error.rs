//! Errors of the HTTP API: a stable machine code, messages in English and
//! Vietnamese, the field path where one applies, and the right status.

use archive_core::{ArchiveError, DeletionBlock, ErrorClass};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `unknown_record`, `forbidden`, `secret_document`.
    pub code: String,
    /// What went wrong, in English.
    pub message: String,
    /// What went wrong, in Vietnamese.
    pub message_vi: String,
    /// The field at fault, when one is (e.g. `metadata.issued_on`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem found, when there are several (metadata validation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Body (boxed: errors travel through every handler's `Result`).
    pub body: Box<ErrorBody>,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>, vi: &str) -> Self {
        ApiError {
            status,
            body: Box::new(ErrorBody {
                code: code.to_string(),
                message: message.into(),
                message_vi: vi.to_string(),
                field: None,
                problems: Vec::new(),
            }),
        }
    }

    /// The same error naming the field at fault.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.body.field = Some(field.into());
        self
    }

    /// 400 with a message.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            code,
            message,
            "Yêu cầu không hợp lệ",
        )
    }

    /// 401.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            message,
            "Chưa đăng nhập hoặc mã truy cập không hợp lệ",
        )
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            message,
            "Tài khoản không có quyền thực hiện thao tác này",
        )
    }

    /// 404.
    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message, "Không tìm thấy")
    }

    /// 409.
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::CONFLICT,
            code,
            message,
            "Xung đột với trạng thái hiện tại",
        )
    }

    /// 422: understood but cannot be done in the current configuration or state.
    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message,
            "Không thể thực hiện yêu cầu",
        )
    }

    /// 503.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            message,
            "Dịch vụ tạm thời không sẵn sàng, vui lòng thử lại",
        )
    }

    /// 500.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            message,
            "Lỗi nội bộ của hệ thống",
        )
    }
}

impl From<ArchiveError> for ApiError {
    fn from(e: ArchiveError) -> Self {
        let message = e.to_string();
        match &e {
            ArchiveError::UnknownRecord(_) => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_record",
                message,
                "Không có hồ sơ/văn bản với mã này",
            ),
            ArchiveError::Refused(m) if m.contains("secret") || m.contains("mật") => {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "secret_document",
                    message,
                    "Văn bản mật không được lưu trong hệ thống này; không có gì được lưu",
                )
                .field("metadata.secrecy")
            }
            ArchiveError::Refused(m) if m.contains("format") || m.contains("content is") => {
                ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "format_refused",
                    message,
                    "Định dạng tệp không được chấp nhận; không có gì được lưu",
                )
            }
            ArchiveError::Refused(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                message,
                "Hồ sơ bị từ chối; không có gì được lưu",
            ),
            ArchiveError::DeletionRefused { block, .. } => match block {
                DeletionBlock::Held => ApiError::new(
                    StatusCode::CONFLICT,
                    "held",
                    message,
                    "Tài liệu đang bị giữ theo lệnh phong tỏa (legal hold); không có gì bị xóa",
                ),
                DeletionBlock::Retention => ApiError::new(
                    StatusCode::CONFLICT,
                    "retention_not_met",
                    message,
                    "Chưa hết thời hạn bảo quản hoặc hồ sơ bảo quản vĩnh viễn; không có gì bị xóa",
                ),
                DeletionBlock::State => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "not_disposable",
                    message,
                    "Hồ sơ chưa ở trạng thái cho phép hủy; không có gì bị xóa",
                ),
            },
            ArchiveError::Disposed(_) => ApiError::new(
                StatusCode::GONE,
                "record_destroyed",
                message,
                "Văn bản đã bị hủy theo quyết định hủy tài liệu; siêu dữ liệu và quyết định vẫn được lưu",
            ),
            ArchiveError::InvalidMetadata { problems } => {
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_metadata",
                    message,
                    "Siêu dữ liệu không hợp lệ; không có gì được lưu",
                );
                err.body.problems = problems.clone();
                if let Some(path) = problems.first().and_then(|p| p.split(':').next()) {
                    err.body.field = Some(format!("metadata.{}", path.trim()));
                }
                err
            }
            _ => match e.class() {
                ErrorClass::Input => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    message,
                    "Dữ liệu gửi lên không hợp lệ; không có gì được lưu",
                ),
                ErrorClass::Damage => ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "damage",
                    message,
                    "Phát hiện dữ liệu bị hỏng; kiểm tra viên đã được ghi nhận",
                ),
                ErrorClass::Unavailable => ApiError::unavailable(message),
                ErrorClass::Conflict => ApiError::conflict("conflict", message),
                ErrorClass::Internal => ApiError::internal(message),
            },
        }
    }
}

impl From<indexer::IndexError> for ApiError {
    fn from(e: indexer::IndexError) -> Self {
        match e {
            indexer::IndexError::Query(q) => ApiError::bad_request("bad_query", q.to_string()),
            indexer::IndexError::Missing(_) | indexer::IndexError::Busy(_) => {
                ApiError::unavailable(e.to_string())
            }
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(*self.body)).into_response()
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
