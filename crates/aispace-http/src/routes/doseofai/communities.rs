//! `GET`/`POST /api/discuss/communities` and `POST /api/discuss/subscribe`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::dto::Object;
use crate::dto::Success;
use crate::dto::discuss::{
    CommunityList, CommunityView, NewCommunityBody, SubscribeBody, Subscription,
};
use crate::error::ApiError;
use crate::extract::BearerKey;
use crate::state::{ApiState, as_doseofai_caller};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

pub async fn list(
    state: web::Data<ApiState>,
    key: BearerKey,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = as_doseofai_caller(&state, key, move |aispace, _| {
        aispace.list_communities(query.cursor.as_deref(), query.limit.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(CommunityList {
        communities: page.communities.iter().map(CommunityView::new).collect(),
        next_cursor: page.next_cursor.as_deref(),
    })))
}

pub async fn create(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<NewCommunityBody>>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner().into_inner().parse()?;
    let community = as_doseofai_caller(&state, key, move |aispace, caller| {
        aispace.create_community(&caller, new)
    })
    .await?;
    Ok(HttpResponse::Created().json(Success::new(CommunityView::new(&community))))
}

pub async fn subscribe(
    state: web::Data<ApiState>,
    key: BearerKey,
    body: web::Json<Object<SubscribeBody>>,
) -> Result<HttpResponse, ApiError> {
    let (target, on) = body.into_inner().into_inner().parse()?;
    let membership = as_doseofai_caller(&state, key, move |aispace, caller| {
        aispace.subscribe(&caller, &target, on)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Success::new(Subscription::from(membership))))
}
